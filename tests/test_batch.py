"""Batches: many videos in one command, an index, failures skipped, re-runs skipping what is done,
and the same batch on a Dask cluster (a LocalCluster here)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_VIDEOS

from posecheck.batch import BatchItem, Index, collect, is_batch, plan_outputs, run_batch
from posecheck.errors import SourceError
from posecheck.spec import find_spec


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", *args], cwd=cwd, capture_output=True, text=True)


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / "index.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture()
def clips(tmp_path: Path) -> Path:
    """Two copies of the clamshell sample (one pose track between them: the cache has it after the
    first) and a file that is not a video."""
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copyfile(SAMPLE_VIDEOS / "clamshell_demo.mp4", folder / "monday.mp4")
    shutil.copyfile(SAMPLE_VIDEOS / "clamshell_demo.mp4", folder / "tuesday.mp4")
    (folder / "broken.mp4").write_text("not a video\n")
    return folder


def test_sources_make_a_batch_when_several_or_a_folder_of_videos(clips: Path, tmp_path: Path) -> None:
    images = tmp_path / "frames"
    images.mkdir()
    (images / "0001.png").write_bytes(b"")
    assert is_batch([str(clips)]) and is_batch(["a.mp4", "b.mp4"])
    assert not is_batch([str(images)]) and not is_batch([str(clips / "monday.mp4")])
    assert [p.name for p in collect([str(clips), str(clips / "monday.mp4")])] == [
        "broken.mp4",
        "monday.mp4",
        "tuesday.mp4",
    ]
    with pytest.raises(SourceError, match=r"no video in this folder .*it holds images: analyse it on its own"):
        collect([str(images)])
    with pytest.raises(SourceError, match=r"nope\.mp4: no such file or folder"):
        collect([str(tmp_path / "nope.mp4")])


def test_two_videos_of_one_name_get_folders_of_their_own(tmp_path: Path) -> None:
    items = plan_outputs([Path("a/clip.mp4"), Path("b/clip.mp4"), Path("c/other.mov")], tmp_path)
    assert [i.out.name for i in items] == ["a_clip", "b_clip", "other"]


@pytest.mark.model
def test_a_batch_writes_a_folder_each_and_an_index_and_goes_on_after_a_failed_video(
    clips: Path, tmp_path: Path, recorded, shared_tracks
) -> None:
    expected = json.loads((recorded("clamshell_demo") / "report.json").read_text())
    out = tmp_path / "results"
    proc = cli("analyze", str(clips), "-e", "clamshell", "--out", str(out), "--no-video", "--jobs", "2", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # one video failed
    assert "2 of 3 videos analysed, 0 skipped as done earlier, 1 failed" in proc.stdout
    index = {Path(r["source"]).name: r for r in rows(out)}
    assert list(index) == ["broken.mp4", "monday.mp4", "tuesday.mp4"]  # the batch's order
    assert index["broken.mp4"]["status"] == "failed" and "cannot be read as a video" in index["broken.mp4"]["error"]
    for name in ("monday", "tuesday"):
        row = index[f"{name}.mp4"]
        assert row["status"] == "ok" and int(row["rep_count"]) == expected["rep_count"] > 0
        assert json.loads((out / name / "report.json").read_text())["rep_count"] == expected["rep_count"]
    faults: dict[str, int] = {}
    for rep in expected["reps"]:
        for fault in rep["faults"]:
            faults[fault] = faults.get(fault, 0) + 1
    assert json.loads((out / "index.json").read_text())["videos"][1]["faults"] == faults
    again = cli("analyze", str(clips), "-e", "clamshell", "--out", str(out), "--no-video", cwd=tmp_path)
    assert "0 of 3 videos analysed, 2 skipped as done earlier, 1 failed" in again.stdout
    assert "monday.mp4: done earlier, same video and spec" in again.stderr
    other = cli("analyze", str(clips / "monday.mp4"), str(clips / "tuesday.mp4"), "-e", "glute_bridge", "--out",
                str(out), "--no-video", cwd=tmp_path)  # fmt: skip
    assert other.returncode == 0 and "2 of 2 videos analysed" in other.stdout  # another spec: analysed again
    as_bridge = rows(out)[1]  # a clamshell checked as a bridge counts nothing, and the row says why
    assert as_bridge["rep_count"] == "0" and as_bridge["notes"]


def test_an_unreachable_scheduler_is_one_clear_error(clips: Path, tmp_path: Path) -> None:
    proc = cli("analyze", str(clips / "monday.mp4"), "-e", "clamshell", "--out", str(tmp_path / "o"),
               "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 8
    assert (
        proc.stderr.strip()
        .splitlines()[-1]
        .startswith("posecheck: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    )


@pytest.mark.model
def test_a_batch_runs_on_a_dask_cluster(clips: Path, tmp_path: Path, recorded, shared_tracks) -> None:
    distributed = pytest.importorskip("distributed")
    from posecheck.cluster import MESSAGES, dask_submitter

    expected = json.loads((recorded("clamshell_demo") / "report.json").read_text())
    spec = find_spec("clamshell")
    items = [
        BatchItem(p, tmp_path / "out" / p.stem) for p in collect([str(clips / "monday.mp4"), str(clips / "broken.mp4")])
    ]
    options = {"write_video": True, "quiet": True}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        got = run_batch(items, spec, Index(tmp_path / "out"), jobs=1, options=options,
                        submit=dask_submitter(cluster.scheduler_address, spec, options))  # fmt: skip
    by_name = {Path(r.source).name: r for r in got}
    assert by_name["monday.mp4"].status == "ok" and by_name["monday.mp4"].rep_count == expected["rep_count"]
    assert by_name["broken.mp4"].status == "failed"
    assert (tmp_path / "out" / "monday" / "report.json").is_file()
    # a Dask worker is a daemon by default: no annotated video, and the row says why
    assert MESSAGES["no_video"] in by_name["monday.mp4"].notes
    assert {r["status"] for r in rows(tmp_path / "out")} == {"ok", "failed"}


def test_the_readme_shows_a_batch() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "--scheduler" in readme and "index.csv" in readme
