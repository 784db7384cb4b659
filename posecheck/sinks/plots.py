"""Per-metric plots over time that show *why* each rep or hold got its verdict (matplotlib, Agg).

One figure per metric, drawn by :func:`draw_metric`: the metric's trace, the rep ``enter``/``exit``
lines or the hold ``position`` range, each check's allowed band (shaded only where the check judges:
over reps, holds or throughout), rep and hold spans coloured by verdict, the value each peak check
judged, the frames where a fault was active, cue times with their text, and the frames without a
reliable pose in grey. report.html embeds them one by one (:func:`metric_pngs`); ``--plot`` stacks them
into one PNG (:func:`write_plots_png`).

matplotlib is imported inside the functions (object API, Agg canvas; the global backend is never
touched), so importing this module costs nothing.

Usage::

    results = load_results(Path("results/b"), spec)
    pngs = metric_pngs(results)                 # metric name -> (PNG bytes, legend entries)
    write_plots_png(Path("results/b"), spec, Path("plots.png"))
"""

from __future__ import annotations

import csv
import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..errors import OutputError, writing
from ..spec.schema import UNIT_OF_KIND, CheckSpec, ExerciseSpec
from .changes import Timeline
from .report import FRAMES_NAME, REPORT_NAME

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colours of everything drawn (matplotlib colour strings).
COLOURS: dict[str, str] = {
    "trace": "#1f3b73",
    "fault_trace": "#d62728",
    "good": "#2e7d32",
    "faulty": "#c62828",
    "unreliable": "#9e9e9e",
    "rep_threshold": "#333333",
    "position": "#333333",
    "cue": "#7b3fa0",
    "grid": "#e9e9e9",
    "text": "#222222",
    "strip_text": "#ffffff",
}
#: Band colours of the checks, in spec order (no green or red: those mean good and faulty).
CHECK_PALETTE: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22")
#: Opacity of the shaded areas.
ALPHA: dict[str, float] = {"span": 0.07, "band": 0.22, "unreliable": 0.30, "strip": 0.9}
#: Figure geometry: inches and dots per inch; the right margin holds the legend.
FIGURE: dict[str, float] = {
    "width_in": 12.0, "height_in": 2.9, "title_in": 0.45, "dpi": 100.0, "left": 0.065, "legend_frac": 0.27,
    "font": 8.5,
}  # fmt: skip
#: Where things sit inside a plot, as fractions of its height: the rep/hold strip at the top, the cue
#: lane under it, and the data below (between data_low and data_high).
LANES: dict[str, float] = {
    "strip_low": 0.925, "cue_row_0": 0.875, "cue_row_1": 0.805, "data_low": 0.05, "data_high": 0.74,
}  # fmt: skip
#: A peak check's band is drawn this wide (s) around each rep's peak (at most the rep's length).
PEAK_BOX_S = 1.2
#: Longest cue text drawn on a plot (characters; the page lists every cue in full), and the average
#: width of one character in points (to shorten a cue to the room before the next one).
CUE_TEXT_MAX = 60
CHAR_PT = 0.56
#: Text drawn on the plots.
LABELS: dict[str, Any] = {
    "rep_lines": "rep enter {enter} / exit {exit}",
    "position": "hold position {lo} to {hi}",
    "band": "{label}: {rule}",
    "rule_min": "≥ {min}",
    "rule_max": "≤ {max}",
    "rule_both": "{min} to {max}",
    "relative": " of the rep's peak",
    "when": {"peak": "at the peak", "rep": "during the rep", "hold": "during the hold", "always": "always"},
    "rep": "#{index}{side}",
    "hold": "hold{side}",
    "fault_trace": "fault active",
    "unreliable": "no reliable pose",
    "good": {"reps": "good rep", "hold": "hold in good form"},
    "faulty": {"reps": "faulty rep", "hold": "hold with faults"},
    "peak": "value at the peak",
    "peak_failed": "{value}: {margin} {direction} {bound_name}",
    "over_time_failed": "{value}\n{margin} {direction} {bound_name}",
    "below": "below",
    "vs_peak": " from peak",
    "above": "above",
    "cue": "cue shown",
    "time": "time (s)",
    "no_data": "not measured in this recording",
}
#: zlib level of the PNGs: 1 encodes several times faster than the default 6, for ~30% larger files.
PNG_COMPRESS_LEVEL = 1
#: The white box behind the value and margin of a failed check.
FAILURE_BOX: dict[str, Any] = {
    "boxstyle": "round,pad=0.2", "fc": "white", "ec": COLOURS["faulty"], "lw": 0.6, "alpha": 0.92,
}  # fmt: skip
FAILURE_ARROW: dict[str, Any] = {"arrowstyle": "-", "color": COLOURS["faulty"], "lw": 0.8}
#: Most decimals a threshold is shown with (its trailing zeros dropped).
THRESHOLD_DECIMALS = 4
#: Unit suffix and decimals of values by metric unit.
UNIT_TEXT: dict[str, tuple[str, int]] = {"deg": ("°", 0), "ratio": ("", 2)}


def format_value(value: float | None, kind: str, signed: bool = False, finer: bool = False) -> str:
    """A metric value for the page and the plots: '163°', '0.85', '-' when unknown; ``finer`` gives one
    more decimal ('163.4°')."""
    if value is None or not math.isfinite(value):
        return "-"
    suffix, decimals = UNIT_TEXT[UNIT_OF_KIND[kind]]
    return f"{value:{'+' if signed else ''}.{decimals + finer}f}{suffix}"


def format_bound(value: float | None, kind: str, signed: bool = False) -> str:
    """A threshold from the spec, never rounded: '165°', '188.5°', '0.9'."""
    if value is None or not math.isfinite(value):
        return "-"
    text = f"{value:{'+' if signed else ''}.{THRESHOLD_DECIMALS}f}".rstrip("0").rstrip(".")
    return text + UNIT_TEXT[UNIT_OF_KIND[kind]][0]


def judged_texts(value: float, bound: float, kind: str, signed: bool = False) -> tuple[str, str, str]:
    """(value, bound, margin) as text, precise enough that the margin can be read off the two numbers:
    ('152°', '165°', '13°'), ('163.4°', '165°', '1.6°'); a margin that rounds to 0 reads '<0.1°'."""
    suffix, decimals = UNIT_TEXT[UNIT_OF_KIND[kind]]
    margin = abs(value - bound)
    fine = margin < 10.0 ** (1 - decimals)
    bound_text = format_bound(bound, kind, signed)
    margin_text = format_value(margin, kind, finer=fine)
    if margin_text.removesuffix(suffix).strip("0.") == "" and margin > 0:
        margin_text = f"<{10.0 ** -(decimals + fine):g}{suffix}"
    return format_value(value, kind, signed, finer=fine), bound_text, margin_text


@dataclass(frozen=True)
class FrameTable:
    """frames.csv as arrays: time (s), pose found, each metric (NaN = not measured), the faults active in
    each frame and the cues shown (time, text; empty for folders written before the ``cue`` column)."""

    t_s: np.ndarray
    pose_found: np.ndarray
    values: Mapping[str, np.ndarray]
    faults: Mapping[str, np.ndarray]
    cues: tuple[tuple[float, str], ...] = ()

    def timeline(self) -> Timeline:
        return Timeline(self.t_s, self.values)


def _float(text: str) -> float:
    try:
        return float(text) if text else math.nan
    except ValueError:
        return math.nan


def load_frames(path: Path, metrics: Sequence[str]) -> FrameTable:
    """Read frames.csv at ``path``. Metrics of ``metrics`` missing from the file are all NaN.

    Raises :class:`OutputError` when the file cannot be read or has no ``time_s`` column."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise OutputError(
            f"{path}: cannot read the per-frame values ({exc.strerror}); run posecheck analyze again"
        ) from None
    if not rows or "time_s" not in rows[0]:
        raise OutputError(f"{path}: not a frames.csv of posecheck (no 'time_s' column in the first line)")
    head, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    col = {name: i for i, name in enumerate(head)}

    def column(name: str) -> list[str]:
        i = col.get(name)
        return [r[i] for r in body] if i is not None else [""] * len(body)

    t = np.array([_float(x) for x in column("time_s")], float)
    found = np.array([x.strip() not in ("", "0") for x in column("pose_found")], bool)
    if "pose_found" not in col:
        found = np.ones(len(t), bool)
    values = {m: np.array([_float(x) for x in column(m)], float) for m in metrics}
    fault_ids: dict[str, np.ndarray] = {}
    for i, cell in enumerate(column("faults")):
        for fid in filter(None, cell.split(";")):
            fault_ids.setdefault(fid, np.zeros(len(t), bool))[i] = True
    cues = tuple((float(t[i]), text) for i, text in enumerate(column("cue")) if text.strip())
    return FrameTable(t, found, values, fault_ids, cues)


def load_report(out_dir: Path) -> dict[str, Any]:
    """report.json of ``out_dir``. Raises :class:`OutputError` when missing or not JSON."""
    path = out_dir / REPORT_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OutputError(f"{path}: cannot read the report ({exc.strerror}); run posecheck analyze first") from None
    except ValueError as exc:
        raise OutputError(f"{path}: not valid JSON ({exc}); run posecheck analyze again") from None


@dataclass(frozen=True)
class Results:
    """What the plots and the page draw: the spec, report.json, frames.csv and each rep's peak time."""

    spec: ExerciseSpec
    report: Mapping[str, Any]
    frames: FrameTable
    peaks: Mapping[int, float] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        ends = [float(self.report.get("duration_s") or 0.0)]
        if len(self.frames.t_s):
            ends.append(float(np.nanmax(self.frames.t_s)))
        return max(ends) or 1.0


def load_results(out_dir: Path, spec: ExerciseSpec) -> Results:
    """report.json and frames.csv of ``out_dir`` with ``spec``. Raises :class:`OutputError` if unreadable."""
    from .keyframes import rep_peak_times

    report = load_report(out_dir)
    frames = load_frames(out_dir / FRAMES_NAME, list(spec.metrics))
    return Results(spec, report, frames, rep_peak_times(frames, report, spec))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True in ``mask``."""
    if not mask.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def rule_text(check: CheckSpec, kind: str) -> str:
    """What ``check`` allows, in words: '≥ 165°, at the peak', '-12° to 12°, during the hold'."""
    lo, hi = (format_bound(check.min, kind), format_bound(check.max, kind))
    if check.min is not None and check.max is not None:
        rule = LABELS["rule_both"].format(min=lo, max=hi)
    elif check.min is not None:
        rule = LABELS["rule_min"].format(min=lo)
    else:
        rule = LABELS["rule_max"].format(max=hi)
    if check.relative_to == "peak":
        rule += LABELS["relative"]
    return f"{rule}, {LABELS['when'][check.when]}"


def check_colours(spec: ExerciseSpec) -> dict[str, str]:
    """The band colour of each check (fault id), stable in spec order."""
    return {cid: CHECK_PALETTE[i % len(CHECK_PALETTE)] for i, cid in enumerate(spec.checks)}


def _spans(results: Results, check: CheckSpec) -> list[tuple[float, float]]:
    """Where ``check`` judges: a box around each rep's peak, the reps, the holds, or the whole recording."""
    reps = list(results.report.get("reps") or [])
    if check.when == "peak":
        out = []
        for r in reps:
            t = results.peaks.get(r["index"], (r["start_s"] + r["end_s"]) / 2)
            half = min(PEAK_BOX_S, r["end_s"] - r["start_s"]) / 2
            out.append((max(t - half, r["start_s"]), min(t + half, r["end_s"])))
        return out
    if check.when == "rep":
        return [(r["start_s"], r["end_s"]) for r in reps]
    if check.when == "hold":
        return [(h["start_s"], h["end_s"]) for h in results.report.get("holds") or []]
    return [(0.0, results.duration_s)]


def _running_extreme(results: Results, start: float, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and the rep metric's best value so far within [start, end] (what relative checks subtract)."""
    rs = results.spec.reps
    t = results.frames.t_s
    inside = (t >= start - 1e-6) & (t <= end + 1e-6)
    if rs is None or rs.metric not in results.frames.values:
        return t[inside], np.full(int(inside.sum()), np.nan)
    rising = rs.enter > rs.exit
    key = results.frames.values[rs.metric][inside]
    key = np.where(np.isfinite(key), key, -np.inf if rising else np.inf)
    best = np.maximum.accumulate(key) if rising else np.minimum.accumulate(key)
    return t[inside], np.where(np.isfinite(best), best, np.nan)


def _limits(results: Results, name: str) -> tuple[float, float]:
    """y range: the data and every threshold drawn on this metric between :data:`LANES` data_low and
    data_high, leaving the top for the rep strip and the cues."""
    spec = results.spec
    v = results.frames.values.get(name, np.empty(0))
    pts = [float(np.nanmin(v)), float(np.nanmax(v))] if np.isfinite(v).any() else []
    for check in spec.checks.values():
        if check.metric == name and check.relative_to != "peak":
            pts += [b for b in (check.min, check.max) if b is not None]
    if spec.reps is not None and spec.reps.metric == name:
        pts += [spec.reps.enter, spec.reps.exit]
    if spec.hold is not None and name in spec.hold.position:
        pts += list(spec.hold.position[name])
    if not pts:
        return 0.0, 1.0
    lo, hi = min(pts), max(pts)
    span = hi - lo or max(abs(hi), 1.0) * 0.1
    total = span / (LANES["data_high"] - LANES["data_low"])
    bottom = lo - LANES["data_low"] * total
    return bottom, bottom + total


def draw_metric(
    ax: Axes, name: str, results: Results, *, legend: bool = True, xlabel: bool = True
) -> list[LegendItem]:
    """Draw metric ``name`` of ``results`` on ``ax`` (see the module docstring for what is drawn) and
    return its legend entries (also drawn beside the axes when ``legend``).

    Artists carry a ``gid`` saying what they show: ``check:<fault id>`` (a check's band and bounds),
    ``rep:<index>:good|faulty`` and ``hold:<n>:good|faulty`` (the verdict strips), ``reps:enter`` /
    ``reps:exit``, ``hold:position``, ``unreliable``, ``fault_trace``, ``peaks:good|faulty``, ``cue``."""
    time_items = draw_time_layer(ax, results, xlabel=xlabel)
    items = draw_metric_layer(ax, name, results)
    handles = [items[0], *time_items, *items[1:]]
    if legend:
        _legend(ax, handles)
    return handles


def _legend(ax: Axes, items: Sequence[LegendItem]) -> None:
    ax.legend(handles=[_handle(h) for h in items], loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=FIGURE["font"] - 0.5, frameon=False, borderaxespad=0.0, handlelength=1.8,
              labelspacing=0.4)  # fmt: skip


def draw_time_layer(ax: Axes, results: Results, *, xlabel: bool = True) -> list[LegendItem]:
    """What every metric's plot shares: the time axis, and the rep and hold spans coloured by verdict
    with their labels (all independent of the y range). Returns their legend entries."""
    from matplotlib.patches import Rectangle

    spec, report = results.spec, results.report
    t = results.frames.t_s
    ax.set_xlim(0.0, results.duration_s)
    xaxis = ax.get_xaxis_transform()
    reps = report.get("reps") or []
    items = [(r, LABELS["rep"].format(index=r["index"], side=_side(r)), f"rep:{r['index']}") for r in reps]
    holds = enumerate(report.get("holds") or [], 1)
    items += [(h, LABELS["hold"].format(side=_side(h)), f"hold:{i}") for i, h in holds]
    spans: dict[str, list[tuple[float, float]]] = {"good": [], "faulty": []}
    strip_h = 1 - LANES["strip_low"]
    for item, text, gid in items:
        verdict = "faulty" if item.get("faults") else "good"
        # a hold is faulty only while a fault is active: red there and green elsewhere
        stretches = []
        if gid.startswith("hold:") and item.get("faults"):
            for a, b in _runs(_hold_fault_frames(results, item)):
                before, after = _half_frame(t, a, b)
                stretches.append((float(t[a] - before), float(t[b] + after - t[a] + before)))
        base = "good" if stretches else verdict
        spans[base].append((item["start_s"], item["end_s"] - item["start_s"]))
        spans["faulty"] += stretches
        width = item["end_s"] - item["start_s"]
        ax.add_patch(Rectangle((item["start_s"], LANES["strip_low"]), width, strip_h, transform=xaxis,
                               color=COLOURS[base], alpha=ALPHA["strip"], lw=0, gid=f"{gid}:{verdict}"))  # fmt: skip
        for x, width in stretches:
            ax.add_patch(Rectangle((x, LANES["strip_low"]), width, strip_h, transform=xaxis, color=COLOURS["faulty"],
                                   alpha=ALPHA["strip"], lw=0, gid=f"{gid}:fault_active"))  # fmt: skip
        ax.text((item["start_s"] + item["end_s"]) / 2, LANES["strip_low"] + strip_h / 2, text, transform=xaxis,
                ha="center", va="center", color=COLOURS["strip_text"], fontsize=FIGURE["font"], fontweight="bold",
                clip_on=True)  # fmt: skip
    for verdict, bars in spans.items():
        if bars:
            ax.broken_barh(bars, (0, LANES["strip_low"]), transform=xaxis, color=COLOURS[verdict], alpha=ALPHA["span"],
                           lw=0)  # fmt: skip
    ax.grid(True, axis="x", color=COLOURS["grid"], lw=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=FIGURE["font"])
    if xlabel:
        ax.set_xlabel(LABELS["time"], fontsize=FIGURE["font"])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not items:
        return []
    return [LegendItem(LABELS[k][spec.kind], COLOURS[k], "patch", ALPHA["strip"]) for k in ("good", "faulty")]


def draw_metric_layer(ax: Axes, name: str, results: Results) -> list[LegendItem]:
    """What is particular to metric ``name``: the y axis, thresholds, bands, the trace, failures, peaks
    and cues. Returns their legend entries, the trace first."""
    spec, frames = results.spec, results.frames
    metric = spec.metrics[name]
    kind = metric.kind
    t = frames.t_s
    v = frames.values.get(name, np.full(len(t), np.nan))
    lo, hi = _limits(results, name)
    ax.set_ylim(lo, hi)
    handles = [LegendItem(metric.label or name, COLOURS["trace"], "line")]

    unreliable = ~frames.pose_found | ~np.isfinite(v)
    if unreliable.any():
        bars = []
        for a, b in _runs(unreliable):
            before, after = _half_frame(t, a, b)
            bars.append((t[a] - before, t[b] + after - t[a] + before))
        ax.broken_barh(bars, (0, LANES["strip_low"]), transform=ax.get_xaxis_transform(),
                       color=COLOURS["unreliable"], alpha=ALPHA["unreliable"], lw=0, gid="unreliable")  # fmt: skip
        handles.append(LegendItem(LABELS["unreliable"], COLOURS["unreliable"], "patch", ALPHA["unreliable"] + 0.1))

    colours = check_colours(spec)
    for cid, check in spec.checks.items():
        if check.metric == name:
            _draw_band(ax, cid, check, results, colours[cid], lo, hi)
            label = LABELS["band"].format(label=check.label or cid, rule=rule_text(check, kind))
            handles.append(LegendItem(label, colours[cid], "band", ALPHA["band"] + 0.1))

    if spec.reps is not None and spec.reps.metric == name:
        for key, style in (("enter", "-."), ("exit", ":")):
            ax.axhline(getattr(spec.reps, key), color=COLOURS["rep_threshold"], lw=1.0, ls=style, gid=f"reps:{key}")
        enter, exit_ = format_bound(spec.reps.enter, kind), format_bound(spec.reps.exit, kind)
        label = LABELS["rep_lines"].format(enter=enter, exit=exit_)
        handles.append(LegendItem(label, COLOURS["rep_threshold"], "line", dash="-.", width=1.0))
    if spec.hold is not None and name in spec.hold.position:
        p_lo, p_hi = spec.hold.position[name]
        ax.hlines([p_lo, p_hi], 0.0, results.duration_s, color=COLOURS["position"], lw=1.0, ls=":",
                  gid="hold:position")  # fmt: skip
        label = LABELS["position"].format(lo=format_bound(p_lo, kind), hi=format_bound(p_hi, kind))
        handles.append(LegendItem(label, COLOURS["position"], "line", dash=":", width=1.0))

    ax.plot(t, v, color=COLOURS["trace"], lw=1.4, zorder=3)
    active = np.zeros(len(t), bool)
    for cid, check in spec.checks.items():
        if check.metric == name and check.when != "peak" and cid in frames.faults:
            active |= frames.faults[cid]
    if active.any():
        ax.plot(t, np.where(active, v, np.nan), color=COLOURS["fault_trace"], lw=3.2, solid_capstyle="round", zorder=4,
                gid="fault_trace")  # fmt: skip
        handles.append(LegendItem(LABELS["fault_trace"], COLOURS["fault_trace"], "line", width=3.2))

    placer = _Placer(ax)
    _draw_failures(ax, name, results, placer)
    if _draw_peaks(ax, name, results, placer):
        handles.append(LegendItem(LABELS["peak"], COLOURS["good"], "marker"))
    if _draw_cues(ax, name, results):
        handles.append(LegendItem(LABELS["cue"], COLOURS["cue"], "line", dash="--", width=0.9))
    if not np.isfinite(v).any():
        ax.text(0.5, 0.4, LABELS["no_data"], transform=ax.transAxes, ha="center", va="center", color=COLOURS["text"])
    _style_y(ax, name, results, lo, hi)
    return handles


@dataclass(frozen=True)
class LegendItem:
    """One entry of a plot's legend, drawn by matplotlib (the PNG) or as HTML (the page)."""

    label: str
    colour: str
    kind: Literal["line", "patch", "band", "marker"]
    alpha: float = 1.0
    dash: str = "-"  # a matplotlib line style: "-", "--", "-.", ":"
    width: float = 1.4


def _handle(item: LegendItem) -> Any:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    label = textwrap.fill(item.label, 46)
    if item.kind == "line":
        return Line2D([], [], color=item.colour, lw=item.width, ls=item.dash, label=label)
    if item.kind == "marker":
        return Line2D([], [], ls="", marker="o", color=item.colour, markeredgecolor="white", label=label)
    edge = item.colour if item.kind == "band" else "none"
    return Patch(facecolor=colour_alpha(item.colour, item.alpha), edgecolor=edge, label=label)


def _style_y(ax: Axes, name: str, results: Results, lo: float, hi: float) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    metric = results.spec.metrics[name]
    suffix = UNIT_TEXT[UNIT_OF_KIND[metric.kind]][0]
    top = lo + (hi - lo) * (LANES["data_high"] + 0.05)  # no ticks beside the rep strip and cue lane
    ticks = [y for y in MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, top) if lo <= y <= top]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    ax.set_ylabel(f"{metric.label or name}{' (' + suffix + ')' if suffix else ''}", fontsize=FIGURE["font"] + 1.5)


def _hold_fault_frames(results: Results, hold: Mapping[str, Any]) -> np.ndarray:
    """Frames within ``hold`` where one of its faults was active."""
    t, faults = results.frames.t_s, results.frames.faults
    active = np.zeros(len(t), bool)
    for fid in hold.get("faults") or ():
        active |= faults.get(fid, np.zeros(len(t), bool))
    return active & (t >= hold["start_s"] - 1e-6) & (t <= hold["end_s"] + 1e-6)


def colour_alpha(colour: str, alpha: float) -> tuple[float, float, float, float]:
    """``colour`` with opacity ``alpha`` (an RGBA tuple)."""
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)


def _draw_band(ax: Axes, cid: str, check: CheckSpec, results: Results, colour: str, lo: float, hi: float) -> None:
    """``check``'s allowed range, shaded where it judges, its bounds drawn and labelled at the left."""
    spans = _spans(results, check) or [(0.0, results.duration_s)]
    gid = f"check:{cid}"
    kind = results.spec.metrics[check.metric].kind
    hi = lo + (hi - lo) * (LANES["data_high"] + 0.03)  # an open band stops under the cue lane
    if check.relative_to == "peak":
        t = results.frames.t_s
        best = np.full(len(t), np.nan)
        for start, end in spans:
            inside = (t >= start - 1e-6) & (t <= end + 1e-6)
            best[inside] = _running_extreme(results, start, end)[1]
        where = np.isfinite(best)
        low = best + check.min if check.min is not None else np.full(len(t), lo)
        high = best + check.max if check.max is not None else np.full(len(t), hi)
        ax.fill_between(t, np.where(where, low, lo), np.where(where, high, lo), where=where, color=colour,
                        alpha=ALPHA["band"], lw=0, gid=gid)  # fmt: skip
        for bound in (check.min, check.max):
            if bound is not None:
                ax.plot(t, best + bound, color=colour, lw=1.1, ls="--", gid=gid)
        return
    band_lo = check.min if check.min is not None else lo
    band_hi = check.max if check.max is not None else hi
    ax.broken_barh([(s, e - s) for s, e in spans], (band_lo, band_hi - band_lo), color=colour, alpha=ALPHA["band"],
                   lw=0, gid=gid)  # fmt: skip
    for bound in (check.min, check.max):
        if bound is None:
            continue
        ax.hlines([bound] * len(spans), [s for s, _ in spans], [e for _, e in spans], color=colour, lw=1.3, gid=gid)
        ax.axhline(bound, color=colour, lw=0.8, ls="--", alpha=0.6, gid=gid)
        is_min = bound == check.min  # min labels at the left end, max at the right: close bounds stay legible
        ax.text(0.004 if is_min else 0.996, bound, f"{'min' if is_min else 'max'} {format_bound(bound, kind)}",
                transform=ax.get_yaxis_transform(), ha="left" if is_min else "right", va="bottom" if is_min else "top",
                fontsize=FIGURE["font"] - 1, color=colour, fontweight="bold", gid=gid)  # fmt: skip


def _half_frame(t: np.ndarray, a: int, b: int) -> tuple[float, float]:
    """Half a frame interval before index ``a`` and after ``b``, so a one-frame dropout is visible."""
    before = (t[a] - t[a - 1]) / 2 if a > 0 else (t[1] - t[0]) / 2 if len(t) > 1 else 0.0
    after = (t[b + 1] - t[b]) / 2 if b + 1 < len(t) else before
    return float(before), float(after)


def _side(item: Mapping[str, Any]) -> str:
    side = item.get("side")
    return f" {side[0].upper()}" if side else ""


def _draw_peaks(ax: Axes, name: str, results: Results, placer: _Placer) -> bool:
    """The value each rep's peak checks judged on this metric: a dot (passed) or a cross with the margin.
    True if anything was drawn."""
    spec = results.spec
    kind = spec.metrics[name].kind
    peak_checks = {cid: c for cid, c in spec.checks.items() if c.metric == name and c.when == "peak"}
    if not peak_checks:
        return False
    marks: dict[str, list[tuple[float, float]]] = {"good": [], "faulty": []}
    for rep in results.report.get("reps") or []:
        value = (rep.get("metrics") or {}).get(name)
        t_peak = results.peaks.get(rep["index"])
        if value is None or t_peak is None:
            continue
        failed = [cid for cid in peak_checks if cid in rep.get("faults", ())]
        marks["faulty" if failed else "good"].append((t_peak, value))
        for cid in failed:
            check = peak_checks[cid]
            below = check.min is not None and value < check.min
            bound = check.min if below else check.max
            if bound is None:
                continue
            value_text, _, margin_text = judged_texts(value, bound, kind)
            text = LABELS["peak_failed"].format(
                value=value_text, margin=margin_text, direction=LABELS["below" if below else "above"],
                bound_name="min" if below else "max",
            )  # fmt: skip
            ha, dx = _placement(ax, results, t_peak, text, beside=True)
            dy = placer.free_dy(t_peak, value, text, ha, "center", dx, 0.0)
            ax.annotate(text, (t_peak, value), xytext=(dx, dy), textcoords="offset points", ha=ha, va="center",
                        fontsize=FIGURE["font"], color=COLOURS["faulty"], fontweight="bold", zorder=7,
                        annotation_clip=True, arrowprops=FAILURE_ARROW, bbox=FAILURE_BOX)  # fmt: skip
    for verdict, points in marks.items():
        if points:
            xs, ys = zip(*points)
            faulty = verdict == "faulty"
            ax.plot(xs, ys, ls="", marker="X" if faulty else "o", ms=9 if faulty else 5.5, color=COLOURS[verdict],
                    markeredgecolor="white", markeredgewidth=0.8, zorder=6, gid=f"peaks:{verdict}")  # fmt: skip
    return any(marks.values())


def _draw_failures(ax: Axes, name: str, results: Results, placer: _Placer) -> None:
    """For each rep or hold that failed a check judged over time (not at the peak) on this metric: the
    value the check judged at its worst frame, and the margin, next to that frame."""
    from .changes import check_values

    spec = results.spec
    kind = spec.metrics[name].kind
    checks = {cid: c for cid, c in spec.checks.items() if c.metric == name and c.when != "peak"}
    if not checks:
        return
    timeline = results.frames.timeline()
    t = results.frames.t_s
    v = results.frames.values.get(name, np.full(len(t), np.nan))
    items = [*(results.report.get("reps") or []), *(results.report.get("holds") or [])]
    for item in items:
        failed = [cid for cid in checks if cid in (item.get("faults") or ())]
        if not failed:
            continue
        values = check_values(item, spec, timeline)
        inside = (t >= item["start_s"] - 1e-6) & (t <= item["end_s"] + 1e-6) & np.isfinite(v)
        for cid in failed:
            cv = values.get(cid)
            where = inside & results.frames.faults.get(cid, np.zeros(len(t), bool))
            where = where if where.any() else inside
            if cv is None or not where.any():
                continue
            idx = np.flatnonzero(where)
            i = idx[np.argmin(v[idx])] if cv.bound_name == "min" else idx[np.argmax(v[idx])]
            relative = checks[cid].relative_to == "peak"
            value_text, _, margin_text = judged_texts(cv.value, cv.bound, kind, signed=relative)
            text = LABELS["over_time_failed"].format(
                value=value_text + (LABELS["vs_peak"] if relative else ""), margin=margin_text,
                direction=LABELS["below" if cv.bound_name == "min" else "above"], bound_name=cv.bound_name,
            )  # fmt: skip
            ha, dx = _placement(ax, results, float(t[i]), text)
            va = "bottom" if cv.bound_name == "min" else "top"
            dy = placer.free_dy(float(t[i]), float(v[i]), text, ha, va, dx, 20.0 if cv.bound_name == "min" else -20.0)
            ax.annotate(text, (t[i], v[i]), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                        fontsize=FIGURE["font"], color=COLOURS["faulty"], fontweight="bold", zorder=7,
                        annotation_clip=True, arrowprops=FAILURE_ARROW, bbox=FAILURE_BOX)  # fmt: skip


class _Placer:
    """Keeps the failure labels of one plot off each other: a label whose box would overlap one placed
    before is moved up or down, a box height at a time (sizes estimated from the character count)."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.boxes: list[tuple[float, float, float, float]] = []
        self.pt = 72.0 / ax.get_figure().dpi

    def free_dy(self, x: float, y: float, text: str, ha: str, va: str, dx: float, dy: float) -> float:
        """The vertical offset (points) nearest ``dy`` at which the label does not cover another one."""
        lines = text.splitlines() or [""]
        w = max(len(line) for line in lines) * CHAR_PT * FIGURE["font"] + 6
        h = len(lines) * FIGURE["font"] * 1.3 + 4
        px, py = (c * self.pt for c in self.ax.transData.transform((x, y)))
        x0 = px + dx - {"left": 0.0, "center": w / 2, "right": w}[ha]
        base = py - {"bottom": 0.0, "center": h / 2, "top": h}[va]
        for step in (0, 1, -1, 2, -2, 3, -3):
            y0 = base + dy + step * (h + 2)
            box = (x0, y0, x0 + w, y0 + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.boxes):
                self.boxes.append(box)
                return dy + step * (h + 2)
        return dy


def _pt_per_s(ax: Axes, results: Results) -> float:
    """Points per second of the time axis (the axes must be laid out already)."""
    return ax.get_position().width * ax.get_figure().get_figwidth() * 72 / results.duration_s


def _placement(ax: Axes, results: Results, t: float, text: str, beside: bool = False) -> tuple[str, float]:
    """Horizontal alignment and offset (points) of a label at time ``t`` that keep it inside the plot:
    centred on ``t`` (or just right of it when ``beside``) unless that runs past an edge."""
    width = max(len(line) for line in text.splitlines()) * CHAR_PT * FIGURE["font"] + 8
    room_left, room_right = t * _pt_per_s(ax, results), (results.duration_s - t) * _pt_per_s(ax, results)
    if beside:
        return ("left", 9.0) if room_right >= width + 9 or room_right >= room_left else ("right", -9.0)
    if room_right >= width / 2 and room_left >= width / 2:
        return "center", 0.0
    return ("left", 0.0) if room_right > room_left else ("right", 0.0)


def _cue_metric(spec: ExerciseSpec, text: str) -> set[str]:
    """The metrics whose checks give cue ``text`` (a frame may join several cues with ' / ')."""
    parts = {p.strip() for p in text.split(" / ")}
    return {c.metric for c in spec.checks.values() if c.cue.strip() in parts}


def _draw_cues(ax: Axes, name: str, results: Results) -> bool:
    """Cue times as markers with their text, on the plot of the metric whose check gave the cue (on every
    plot if no check did). Texts alternate between two rows and are shortened to the room before the
    next cue on their row. True if anything was drawn."""
    cues = []
    for t_cue, text in results.frames.cues:
        metrics = _cue_metric(results.spec, text)
        if not metrics or name in metrics:
            cues.append((t_cue, text))
    if not cues:
        return False
    xaxis = ax.get_xaxis_transform()
    duration = results.duration_s
    pt_per_s = _pt_per_s(ax, results)
    char_pt = CHAR_PT * (FIGURE["font"] - 0.5)
    marks: list[tuple[float, float]] = []
    for i, (t_cue, text) in enumerate(cues):
        row = i % 2
        y = LANES[f"cue_row_{row}"]
        nxt = cues[i + 2][0] if i + 2 < len(cues) else duration
        prev = cues[i - 2][0] if i >= 2 else 0.0
        room_right, room_left = (nxt - t_cue) * pt_per_s - 10, (t_cue - prev) * pt_per_s - 10
        right = room_right >= min(len(text) * char_pt, room_left) or room_right >= room_left
        room = room_right if right else room_left
        limit = min(CUE_TEXT_MAX, max(int(room / char_pt), 4))
        short = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
        marks.append((t_cue, y))
        ax.annotate(f"“{short}”", (t_cue, y), xycoords=xaxis, xytext=(5 if right else -5, 0),
                    textcoords="offset points", ha="left" if right else "right", va="center",
                    fontsize=FIGURE["font"] - 0.5, color=COLOURS["cue"], style="italic",
                    annotation_clip=False)  # fmt: skip
    xs, ys = zip(*marks)
    ax.vlines(xs, 0.0, ys, transform=xaxis, color=COLOURS["cue"], lw=0.9, ls=(0, (2, 2)), alpha=0.85, gid="cue")
    ax.plot(xs, ys, ls="", marker="v", color=COLOURS["cue"], ms=6, transform=xaxis, clip_on=False, gid="cue")
    return True


def _new_figure(height_in: float) -> Figure:
    """A figure on its own Agg canvas (never pyplot: no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(FIGURE["width_in"], height_in), dpi=FIGURE["dpi"])
    FigureCanvasAgg(fig)
    return fig


def _layout(fig: Figure, legend: bool = True) -> None:
    """Margins of a one-plot figure: room for the tick labels, and for the legend on the right."""
    height = fig.get_figheight()
    right = 1.0 - FIGURE["legend_frac"] if legend else 0.99
    fig.subplots_adjust(left=FIGURE["left"] * (1 if legend else 0.75), right=right, top=1 - 0.24 / height,
                        bottom=0.55 / height)  # fmt: skip


def plotted_metrics(spec: ExerciseSpec) -> tuple[str, ...]:
    """The metrics that get a plot: every metric of the spec, the shown ones first."""
    return (*spec.shown_metrics, *(m for m in spec.metrics if m not in spec.shown_metrics))


def metric_pngs(results: Results) -> dict[str, tuple[bytes, list[LegendItem]]]:
    """One PNG (bytes, without a legend: the page draws it) and its legend entries per metric, in
    :func:`plotted_metrics` order."""
    return {name: (_encode(rgba), items) for name, rgba, items in _render(results, legend=False)}


def _render(results: Results, legend: bool) -> list[tuple[str, np.ndarray, list[LegendItem]]]:
    """Each metric's plot as an RGBA array (and its legend entries), in :func:`plotted_metrics` order.

    The time layer (:func:`draw_time_layer`: the time axis, rep strips and their labels, most of the
    text) is the same on every plot, so it is rendered once and each metric is drawn over a copy of it
    (Agg blitting): the same pixels as drawing each plot whole (:func:`draw_metric`), in half the time."""
    fig = _new_figure(FIGURE["height_in"])
    canvas = fig.canvas
    ax = fig.add_subplot()
    _layout(fig, legend=legend)
    time_items = draw_time_layer(ax, results)
    ax.yaxis.set_visible(False)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    ax.yaxis.set_visible(True)
    shared = set(ax.get_children())
    out = []
    for name in plotted_metrics(results.spec):
        canvas.restore_region(background)
        items = draw_metric_layer(ax, name, results)
        items = [items[0], *time_items, *items[1:]]
        if legend:
            _legend(ax, items)
        added = [a for a in ax.get_children() if a not in shared]
        for artist in sorted(added, key=lambda a: a.get_zorder()):
            ax.draw_artist(artist)
        ax.draw_artist(ax.yaxis)
        out.append((name, np.array(canvas.buffer_rgba()), items))
        for artist in added:
            artist.remove()
    return out


def _encode(rgba: np.ndarray) -> bytes:
    import cv2

    bgr = cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR)
    ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESS_LEVEL])
    if not ok:
        raise OutputError("a plot could not be encoded as PNG")
    return data.tobytes()


def _title_strip(text: str) -> np.ndarray:
    fig = _new_figure(FIGURE["title_in"])
    fig.text(FIGURE["left"], 0.5, text, ha="left", va="center", fontsize=FIGURE["font"] + 3, fontweight="bold")
    fig.canvas.draw()
    return np.array(fig.canvas.buffer_rgba())


def write_plots_png(out_dir: Path, spec: ExerciseSpec, path: Path) -> Path:
    """Every metric's plot (as in report.html, with its legend beside it) stacked in one PNG at ``path``,
    from the report.json and frames.csv in ``out_dir``. Returns ``path``; raises :class:`OutputError`
    when the results cannot be read or the PNG cannot be written."""
    results = load_results(out_dir, spec)
    strips = [_title_strip(report_title(results)), *(rgba for _, rgba, _ in _render(results, legend=True))]
    data = _encode(np.concatenate(strips, axis=0))
    with writing(path, "write the plots"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def report_title(results: Results) -> str:
    """'Glute bridge: clip.mp4, 34.4 s' (for the PNG's title)."""
    report = results.report
    name = report.get("exercise_name") or results.spec.name
    return f"{name}: {Path(str(report.get('source', ''))).name}, {float(report.get('duration_s') or 0):.1f} s"
