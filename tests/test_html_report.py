"""report.html, plots.png and key-frame thumbnails, from synthetic results folders (no pose model)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS

from posecheck.errors import OutputError
from posecheck.landmarks import COUNT, INDEX
from posecheck.sinks.html import write_report_html
from posecheck.sinks.keyframes import THUMB_HEIGHT, draw_keyframes, rep_peak_times
from posecheck.sinks.overlay import Theme
from posecheck.sinks.plots import COLOURS, FIGURE, draw_metric, load_frames, load_results, write_plots_png
from posecheck.spec.schema import CheckSpec, ExerciseSpec, HoldSpec, MetricSpec, RepSpec

FPS = 30.0
ANGLE = ("left_shoulder", "left_hip", "left_knee")


# -- builders -----------------------------------------------------------------------------------------
def rep_spec(
    *, rising: bool = True, checks: dict[str, CheckSpec] | None = None, metrics: Sequence[str] = ("hip", "knee")
) -> ExerciseSpec:
    """A reps spec on metric 'hip' (rising from 100 to 170 in a rep, or falling from 170 to 100)."""
    enter, exit_ = (150.0, 120.0) if rising else (120.0, 150.0)
    default = {
        "hips_low": CheckSpec(metric="hip", cue="Lift higher", when="peak", min=160.0, label="hips too low"),
        "knee_wide": CheckSpec(metric="knee", cue="Feet closer", when="rep", max=100.0, label="knees too open"),
    }
    return ExerciseSpec(
        id="test_reps", name="Test reps", kind="reps",
        metrics={m: MetricSpec(kind="angle", points=ANGLE, label=f"{m} angle") for m in metrics},
        reps=RepSpec(metric="hip", enter=enter, exit=exit_), checks=default if checks is None else checks,
    )  # fmt: skip


def hold_spec() -> ExerciseSpec:
    return ExerciseSpec(
        id="test_hold", name="Test hold", kind="hold",
        metrics={"knee": MetricSpec(kind="angle", points=ANGLE, label="knee"),
                 "torso": MetricSpec(kind="tilt", points=("mid_hip", "mid_shoulder"), label="torso")},
        hold=HoldSpec(position={"knee": (70.0, 110.0)}, target_s=10.0),
        checks={"lean": CheckSpec(metric="torso", cue="Sit up", when="hold", min=-10.0, max=10.0, label="leaning")},
    )  # fmt: skip


@dataclass
class Session:
    """A results folder as analyze writes it: report.json and frames.csv, built from per-frame values."""

    spec: ExerciseSpec
    values: dict[str, np.ndarray]
    reps: list[dict] = field(default_factory=list)
    holds: list[dict] = field(default_factory=list)
    cues: list[tuple[float, str]] = field(default_factory=list)
    faults: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # fault id -> active spans (s)
    pose_found: np.ndarray | None = None
    warnings: list[str] = field(default_factory=list)
    source: str = "clip.mp4"
    cue_column: bool = True

    @property
    def t(self) -> np.ndarray:
        return np.arange(len(next(iter(self.values.values())))) / FPS

    def write(self, out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        t = self.t
        labels = {cid: c.label or cid for cid, c in self.spec.checks.items()}
        report = {
            "exercise": self.spec.id, "exercise_name": self.spec.name, "spec_path": None, "source": self.source,
            "duration_s": float(t[-1]), "frames": len(t), "frames_with_pose": len(t), "rep_count": len(self.reps),
            "rep_count_by_side": {}, "reps": self.reps, "holds": self.holds, "warnings": self.warnings,
            "fault_labels": labels,
        }  # fmt: skip
        (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
        found = np.ones(len(t), bool) if self.pose_found is None else self.pose_found
        cues = {int(round(ct * FPS)): text for ct, text in self.cues}
        with (out / "frames.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            head = ["frame", "time_s", "pose_found", "side", "phase", "faults", "view_width"]
            w.writerow([*head, *(["cue"] if self.cue_column else []), *self.spec.metrics])
            for i, ti in enumerate(t):
                active = sorted(f for f, spans in self.faults.items() if any(a <= ti <= b for a, b in spans))
                vals = [
                    f"{self.values[m][i]:.3f}" if found[i] and np.isfinite(self.values[m][i]) else ""
                    for m in self.spec.metrics
                ]
                row = [i, f"{ti:.3f}", int(found[i]), "left", "rep", ";".join(active), "0.1"]
                w.writerow([*row, *([cues.get(i, "")] if self.cue_column else []), *vals])
        return out


def bridge_session(rising: bool = True, **kw) -> Session:
    """Three reps of 'hip' (peaks 175, 150, 178 if rising; mirrored if falling); rep 2 fails hips_low,
    rep 3 fails knee_wide for a while."""
    spec = kw.pop("spec", None) or rep_spec(rising=rising)
    t = np.arange(int(12 * FPS)) / FPS
    hip = np.full(len(t), 100.0)
    reps = []
    for i, (start, peak) in enumerate(((1.0, 175.0), (5.0, 150.0), (8.5, 178.0)), 1):
        inside = (t >= start) & (t <= start + 2.5)
        hip[inside] = 100 + (peak - 100) * np.sin(np.pi * (t[inside] - start) / 2.5)
        reps.append({"index": i, "side": None, "start_s": start + 0.3, "end_s": start + 2.2, "faults": [],
                     "metrics": {"hip": peak, "knee": 90.0}})  # fmt: skip
    if not rising:
        hip = 270.0 - hip
        for r in reps:
            r["metrics"]["hip"] = 270.0 - r["metrics"]["hip"]
    knee = np.full(len(t), 90.0)
    knee[(t > 9.5) & (t < 10.2)] = 110.0
    reps[1]["faults"] = ["hips_low"]
    reps[2]["faults"] = ["knee_wide"]
    session = Session(spec, {"hip": hip, "knee": knee}, reps=reps, faults={"knee_wide": [(9.6, 10.1)]},
                      cues=[(7.3, "Lift higher"), (10.0, "Feet closer")])  # fmt: skip
    for key, value in kw.items():
        setattr(session, key, value)
    return session


def skeleton_points() -> np.ndarray:
    pts = np.full((COUNT, 2), np.nan)
    joints = {
        "left_shoulder": (200, 150), "left_hip": (320, 240), "left_knee": (420, 200), "left_ankle": (500, 330),
        "right_shoulder": (210, 160), "right_hip": (330, 250),
    }  # fmt: skip
    for name, xy in joints.items():
        pts[INDEX[name]] = xy
    return pts


def axes_of(session: Session, out: Path, metric: str):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    results = load_results(session.write(out), session.spec)
    fig = Figure(figsize=(FIGURE["width_in"], FIGURE["height_in"]))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    draw_metric(ax, metric, results)
    return ax


def gids(ax) -> list[str]:
    return [a.get_gid() for a in ax.get_children() if a.get_gid()]


# -- the page -----------------------------------------------------------------------------------------
def test_the_page_is_self_contained(tmp_path):
    page = write_report_html(bridge_session().write(tmp_path), rep_spec()).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower() and "@import" not in page
    images = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


def test_one_plot_per_metric_in_spec_order_of_shown_metrics(tmp_path):
    spec = rep_spec(metrics=("hip", "knee", "spare"))
    session = bridge_session(spec=spec)
    session.values["spare"] = np.full(len(session.t), np.nan)  # never measured: still a plot, saying so
    page = write_report_html(session.write(tmp_path), spec).read_text(encoding="utf-8")
    assert re.findall(r'<div class="plot" id="metric-(\w+)"', page) == ["hip", "knee", "spare"]


@pytest.mark.parametrize(
    ("metric", "expected"),
    [("hip", {"check:hips_low", "reps:enter", "reps:exit"}), ("knee", {"check:knee_wide"})],
)
def test_each_check_has_its_band_on_the_metric_it_judges(tmp_path, metric, expected):
    found = set(gids(axes_of(bridge_session(), tmp_path, metric)))
    assert expected <= found
    others = {f"check:{c}" for c in rep_spec().checks} - expected
    assert not others & found


def test_a_relative_check_band_follows_the_rep_peak(tmp_path):
    checks = {"sag": CheckSpec(metric="hip", cue="Keep up", when="rep", relative_to="peak", min=-10.0, label="sagged")}
    ax = axes_of(bridge_session(spec=rep_spec(checks=checks)), tmp_path, "hip")
    bands = [a for a in ax.collections if a.get_gid() == "check:sag" and a.get_paths()]
    assert bands
    top_of_bound = [a for a in ax.lines if a.get_gid() == "check:sag"][0].get_ydata()
    assert np.nanmax(top_of_bound) == pytest.approx(178.0 - 10.0, abs=0.5)  # rep 3's peak minus 10


def test_reps_are_coloured_by_verdict(tmp_path):
    ax = axes_of(bridge_session(), tmp_path, "hip")
    strips = {a.get_gid(): a for a in ax.patches if (a.get_gid() or "").startswith("rep:")}
    assert set(strips) == {"rep:1:good", "rep:2:faulty", "rep:3:faulty"}
    from matplotlib.colors import to_rgb

    assert strips["rep:1:good"].get_facecolor()[:3] == pytest.approx(to_rgb(COLOURS["good"]))
    assert strips["rep:2:faulty"].get_facecolor()[:3] == pytest.approx(to_rgb(COLOURS["faulty"]))


def test_the_table_gives_each_check_value_threshold_and_margin(tmp_path):
    page = write_report_html(bridge_session().write(tmp_path), rep_spec()).read_text(encoding="utf-8")
    rows = re.findall(r"<tr>(.*?)</tr>", page)[1:]
    assert len(rows) == 3
    assert "failed by 10°" in rows[1] and "hip angle 150° vs min 160°" in rows[1] and "hips too low" in rows[1]
    assert 'class="badge faulty"' in rows[1] and 'class="badge good"' in rows[0]
    assert "failed by 10°" in rows[2] and "knee angle 110° vs max 100°" in rows[2]
    assert "passed by 15°" in rows[0]


def test_strings_from_files_are_escaped(tmp_path):
    evil = "<script>alert(1)</script>"
    checks = {"x": CheckSpec(metric="hip", cue=f"cue {evil}", when="peak", min=160.0, label=f"label {evil}")}
    session = bridge_session(spec=rep_spec(checks=checks), source=f"videos/{evil}&.mp4", warnings=[evil],
                             cues=[(7.3, f"cue {evil}")])  # fmt: skip
    session.reps[1]["faults"] = ["x"]
    session.reps[2]["faults"] = []
    page = write_report_html(session.write(tmp_path), session.spec).read_text(encoding="utf-8")
    assert "<script" not in page
    assert "label &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "videos/&lt;script&gt;alert(1)&lt;/script&gt;&amp;.mp4" in page


def test_a_folder_without_the_cue_column_still_renders(tmp_path):
    out = bridge_session(cue_column=False).write(tmp_path)
    assert load_frames(out / "frames.csv", ["hip", "knee"]).cues == ()
    page = write_report_html(out, rep_spec()).read_text(encoding="utf-8")
    assert "No cue was shown." in page


def test_cues_appear_on_the_plot_of_the_metric_their_check_judges(tmp_path):
    ax = axes_of(bridge_session(), tmp_path, "hip")
    texts = [t.get_text() for t in ax.texts]
    assert any("Lift higher" in t for t in texts) and not any("Feet closer" in t for t in texts)
    page = write_report_html(bridge_session().write(tmp_path / "p"), rep_spec()).read_text(encoding="utf-8")
    assert "Lift higher" in page and "Feet closer" in page


def test_frames_without_a_reliable_pose_are_shaded(tmp_path):
    session = bridge_session()
    found = np.ones(len(session.t), bool)
    found[60:75] = False
    session.pose_found = found
    assert "unreliable" in gids(axes_of(session, tmp_path, "knee"))
    assert "unreliable" not in gids(axes_of(bridge_session(), tmp_path / "b", "knee"))


def test_a_hold_page_shows_the_holds(tmp_path):
    t = np.arange(int(12 * FPS)) / FPS
    session = Session(hold_spec(), {"knee": np.full(len(t), 90.0), "torso": np.where(t > 6, 15.0, 2.0)},
                      holds=[{"side": "left", "start_s": 1.0, "end_s": 11.0, "good_form_s": 5.0, "faults": ["lean"]}],
                      faults={"lean": [(6.0, 11.0)]}, cues=[(6.5, "Sit up")])  # fmt: skip
    out = session.write(tmp_path)
    page = write_report_html(out, session.spec).read_text(encoding="utf-8")
    assert "5.0 s of 10 s in good form" in page and "failed by 5.0°" in page and "torso 15.0° vs max 10°" in page
    ax = axes_of(session, tmp_path / "ax", "knee")
    assert {"hold:1:faulty", "hold:1:fault_active", "hold:position"} <= set(gids(ax))  # red only while leaning


def test_a_run_that_stopped_before_its_first_frame_still_renders(tmp_path):
    session = bridge_session(reps=[], cues=[], faults={})
    session.write(tmp_path)
    (tmp_path / "frames.csv").write_text((tmp_path / "frames.csv").read_text().splitlines()[0] + "\n")
    page = write_report_html(tmp_path, rep_spec()).read_text(encoding="utf-8")
    assert "No rep counted" in page and page.count('class="plot"') == 2
    assert cv2.imread(str(write_plots_png(tmp_path, rep_spec(), tmp_path / "p.png"))) is not None


def test_missing_results_say_what_to_do(tmp_path):
    with pytest.raises(OutputError, match=r"report\.json: cannot read the report .*run posecheck analyze"):
        write_report_html(tmp_path, rep_spec())


def test_thumbnails_are_embedded_with_the_verdict(tmp_path):
    thumbs = draw_keyframes(None, {i: (1.0, skeleton_points()) for i in (1, 2, 3)})
    page = write_report_html(bridge_session().write(tmp_path), rep_spec(), keyframes=thumbs).read_text(encoding="utf-8")
    assert len(re.findall(r'<figure class="(good|faulty)">', page)) == 3
    assert re.findall(r'<figure class="(\w+)">', page) == ["good", "faulty", "faulty"]


def test_plots_drawn_over_the_shared_time_layer_match_plots_drawn_whole(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from posecheck.sinks.plots import _layout, metric_pngs

    session = bridge_session()
    results = load_results(session.write(tmp_path), session.spec)
    fast = metric_pngs(results)
    for name in ("hip", "knee"):
        fig = Figure(figsize=(FIGURE["width_in"], FIGURE["height_in"]), dpi=FIGURE["dpi"])
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        _layout(fig, legend=False)
        draw_metric(ax, name, results, legend=False)
        fig.canvas.draw()
        whole = cv2.cvtColor(np.asarray(fig.canvas.buffer_rgba()), cv2.COLOR_RGBA2BGR)
        blitted = cv2.imdecode(np.frombuffer(fast[name][0], np.uint8), cv2.IMREAD_COLOR)
        assert blitted.shape == whole.shape
        assert np.abs(blitted.astype(int) - whole).mean() < 0.5


# -- plots.png ----------------------------------------------------------------------------------------
def test_the_plots_png_stacks_every_metric(tmp_path):
    out = bridge_session().write(tmp_path / "r")
    path = write_plots_png(out, rep_spec(), tmp_path / "deep" / "plots.png")
    image = cv2.imread(str(path))
    assert image is not None
    h, w = image.shape[:2]
    assert w == pytest.approx(FIGURE["width_in"] * FIGURE["dpi"], abs=2)
    assert 2 * FIGURE["height_in"] * FIGURE["dpi"] * 0.9 <= h <= 2 * FIGURE["height_in"] * FIGURE["dpi"] * 1.1


# -- key frames -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rising", [True, False])
def test_peak_time_is_the_rep_metric_extreme(tmp_path, rising):
    session = bridge_session(rising=rising)
    frames = load_frames(session.write(tmp_path) / "frames.csv", ["hip", "knee"])
    report = json.loads((tmp_path / "report.json").read_text())
    peaks = rep_peak_times(frames, report, session.spec)
    assert peaks == pytest.approx({1: 2.25, 2: 6.25, 3: 9.75}, abs=1.5 / FPS)


def test_peak_time_of_a_rep_never_measured_is_its_middle(tmp_path):
    session = bridge_session()
    session.values["hip"][:] = np.nan
    frames = load_frames(session.write(tmp_path) / "frames.csv", ["hip", "knee"])
    report = json.loads((tmp_path / "report.json").read_text())
    assert rep_peak_times(frames, report, session.spec)[1] == pytest.approx((1.3 + 3.2) / 2)


def _has_bone_colour(image: np.ndarray) -> bool:
    bone = np.array(Theme().bone)
    return bool((np.abs(image.astype(int) - bone).sum(axis=2) < 40).sum() > 20)


@pytest.mark.parametrize("source", [None, "", "/no/such/video.mp4", "not_a_video.txt"])
def test_a_missing_video_still_gives_a_thumbnail(tmp_path, source):
    if source == "not_a_video.txt":
        source = tmp_path / source
        source.write_text("hello")
    thumbs = draw_keyframes(source, {4: (2.0, skeleton_points()), 5: (3.0, None)}, image_size=(640, 480))
    assert set(thumbs) == {4, 5}
    assert thumbs[4].shape == (THUMB_HEIGHT, 320, 3)
    assert _has_bone_colour(thumbs[4]) and not _has_bone_colour(thumbs[5])


def test_a_video_thumbnail_is_the_frame_at_that_time(tmp_path):
    video = SAMPLE_VIDEOS / "glute_bridge_demo.mp4"
    if not video.is_file():
        pytest.skip("sample video not present")
    thumbs = draw_keyframes(video, {1: (3.2, None), 2: (23.1, None)}, size=120)
    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_MSEC, 3200.0)
    ok, frame = cap.read()
    cap.release()
    expected = cv2.resize(frame, (thumbs[1].shape[1], 120), interpolation=cv2.INTER_AREA)
    assert np.abs(thumbs[1].astype(int) - expected).mean() < 1.0
    assert np.abs(thumbs[1].astype(int) - thumbs[2]).mean() > 1.0


def test_thumbnails_are_read_once_while_the_source_is_unchanged(tmp_path, monkeypatch):
    from posecheck.sinks import keyframes

    cv2.imwrite(str(tmp_path / "img0.png"), np.full((60, 80, 3), 90, np.uint8))
    calls = []
    read = keyframes._read_frames
    monkeypatch.setattr(keyframes, "_read_frames", lambda src, times: calls.append(times) or read(src, times))
    first = draw_keyframes(tmp_path, {1: (0.0, None)}, size=30)
    second = draw_keyframes(tmp_path, {1: (0.0, skeleton_points() / 8)}, size=30)
    assert calls == [[0.0]]
    assert tuple(first[1][15, 20]) == (90, 90, 90) and not np.array_equal(first[1], second[1])  # a copy drawn on


def test_an_image_folder_thumbnail_is_the_image_at_that_time(tmp_path):
    for i, colour in enumerate(((255, 0, 0), (0, 0, 255), (0, 255, 0))):
        cv2.imwrite(str(tmp_path / f"img{i}.png"), np.full((60, 80, 3), colour, np.uint8))
    thumbs = draw_keyframes(tmp_path, {1: (1 / 30, None), 2: (5.0, None)}, size=30)
    assert thumbs[1].shape == (30, 40, 3)
    assert tuple(thumbs[1][15, 20]) == (0, 0, 255) and tuple(thumbs[2][15, 20]) == (0, 255, 0)


# -- no side effects ------------------------------------------------------------------------------------
def test_importing_and_rendering_leave_matplotlib_global_state_alone(tmp_path):
    out = bridge_session().write(tmp_path)
    code = (
        "import sys\n"
        "import posecheck.sinks.html, posecheck.sinks.plots, posecheck.sinks.keyframes\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at module load'\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from test_html_report import rep_spec\n"
        "posecheck.sinks.html.write_report_html(Path(sys.argv[1]), rep_spec())\n"
        "import matplotlib\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert matplotlib.rcParams._get_backend_or_none() is None, matplotlib.rcParams._get_backend_or_none()\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(out), str(Path(__file__).parent)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("value", "bound", "kind", "expected"),
    [
        (152.0, 165.0, "angle", ("152°", "165°", "13°")),
        (163.4, 165.0, "angle", ("163.4°", "165°", "1.6°")),
        (152.0, 188.5, "angle", ("152°", "188.5°", "36°")),  # a threshold is never rounded
        (188.52, 188.5, "angle", ("188.5°", "188.5°", "<0.1°")),
        (0.853, 0.9, "distance_ratio", ("0.853", "0.9", "0.047")),
    ],
)
def test_judged_values_are_precise_enough_to_read_the_margin(value, bound, kind, expected):
    from posecheck.sinks.plots import judged_texts

    assert judged_texts(value, bound, kind) == expected
