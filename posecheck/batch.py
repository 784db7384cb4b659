"""Many videos in one command: ``posecheck analyze a.mp4 b.mp4 folder/ --out results/``.

Each video is analysed into a folder of its own under the output folder (``results/<video name>/``),
``--jobs`` at a time, in processes of their own here or as futures on a Dask cluster
(:mod:`posecheck.cluster`). ``index.csv`` and ``index.json`` beside them list every video's counts,
faults and holds, or why it failed; they are rewritten after each video, so a batch stopped half-way
keeps its index. A video that fails is reported and skipped; the rest go on. A second run of the same
batch skips each video whose index row says it was done with the same video and spec (content hashes),
and the track cache makes a re-run with another spec skip the pose model.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .errors import PosecheckError, SourceError, writing
from .sinks.report import REPORT_NAME, write_json_atomic
from .sources import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, natural_key
from .spec.schema import ExerciseSpec

INDEX_JSON = "index.json"
INDEX_CSV = "index.csv"
#: The index's columns, in order (``faults``: "id:count; ..."; ``hold_good_s``: seconds in good form).
COLUMNS = ("source", "out", "status", "rep_count", "left", "right", "faults", "holds", "hold_good_s",
           "frames", "duration_s", "seconds", "error", "notes")  # fmt: skip
#: What a batch says of itself; ``{...}`` are filled in.
MESSAGES = {
    "no_videos": "{path}: no video in this folder (looked for {kinds}); give video files or folders of them",
    "missing": "{path}: no such file or folder; give video files or folders of videos",
    "done": "[{done}/{total}] {source}: {what}",
    "skipped": "done earlier, same video and spec (results in {out})",
    "summary": "{ok} of {total} videos analysed, {skipped} skipped as done earlier, {failed} failed; index: {index}",
}


@dataclass(frozen=True)
class BatchItem:
    """One video of a batch and the folder its results go to."""

    source: Path
    out: Path


@dataclass
class BatchRow:
    """One line of the index."""

    source: str
    out: str
    status: str  # "ok", "failed", "skipped"
    rep_count: int | None = None
    left: int | None = None
    right: int | None = None
    faults: dict[str, int] = field(default_factory=dict)
    holds: int | None = None
    hold_good_s: float | None = None
    frames: int | None = None
    duration_s: float | None = None
    seconds: float | None = None
    error: str = ""
    notes: str = ""
    source_sha256: str = ""
    spec_sha256: str = ""

    def csv_values(self) -> list[Any]:
        values = asdict(self)
        values["faults"] = "; ".join(f"{k}:{v}" for k, v in sorted(self.faults.items()))
        return ["" if values[c] is None else values[c] for c in COLUMNS]


def is_batch(targets: Sequence[str]) -> bool:
    """Whether these sources are a batch: more than one, or a folder holding videos (a folder of images
    alone is one image-sequence source)."""
    if len(targets) != 1:
        return True
    path = Path(targets[0])
    return path.is_dir() and any(_videos_in(path))


def _videos_in(folder: Path) -> Iterator[Path]:
    return (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)


def collect(targets: Sequence[str]) -> list[Path]:
    """The videos named by ``targets`` (files, and the videos directly inside folders, in natural
    order), each once, as absolute paths. Raises :class:`SourceError` for a path that is missing or a
    folder with none."""
    found: list[Path] = []
    for target in targets:
        path = Path(target).expanduser()
        if path.is_dir():
            videos = sorted(_videos_in(path), key=lambda p: natural_key(p.name))
            if not videos:
                kinds = ", ".join(VIDEO_EXTENSIONS)
                images = any(p.suffix.lower() in IMAGE_EXTENSIONS for p in path.iterdir())
                hint = "; it holds images: analyse it on its own to read them as one video" if images else ""
                raise SourceError(MESSAGES["no_videos"].format(path=path, kinds=kinds) + hint)
            found.extend(videos)
        elif path.exists():
            found.append(path)
        else:
            raise SourceError(MESSAGES["missing"].format(path=path))
    unique: dict[Path, None] = dict.fromkeys(p.resolve() for p in found)  # absolute: an index outlives a cwd
    return list(unique)


def plan_outputs(videos: Sequence[Path], out_root: Path) -> list[BatchItem]:
    """A results folder per video, named after it; two videos of the same name get their parent folder's
    name in front (``a/clip.mp4`` -> ``a_clip``), then a number."""
    stems = [v.stem for v in videos]
    names: list[str] = []
    for video, stem in zip(videos, stems):
        name = stem if stems.count(stem) == 1 else f"{video.parent.name}_{stem}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return [BatchItem(v, out_root / n) for v, n in zip(videos, names)]


def file_sha256(path: Path) -> str:
    from .cache import content_hash

    return content_hash(path)


def spec_sha256(spec: ExerciseSpec) -> str:
    """The spec file's content hash (what a tuned spec changes), or of the spec itself if it has no file."""
    path = Path(spec.path) if spec.path else None
    if path is not None and path.is_file():
        return file_sha256(path)
    return hashlib.sha256(repr(spec).encode()).hexdigest()


def row_of(item: BatchItem, report: dict[str, Any], seconds: float, holds_kind: bool) -> BatchRow:
    """The index row of a finished analysis; ``holds_kind``: the spec times holds (else it counts reps)."""
    faults: dict[str, int] = {}
    for entry in [*report.get("reps", []), *report.get("holds", [])]:
        for fault in entry.get("faults", []):
            faults[fault] = faults.get(fault, 0) + 1
    by_side = report.get("rep_count_by_side") or {}
    holds = report.get("holds", [])
    return BatchRow(
        source=str(item.source), out=str(item.out), status="ok",
        rep_count=None if holds_kind else report.get("rep_count"), left=by_side.get("left"),
        right=by_side.get("right"), faults=faults, holds=len(holds) if holds_kind else None,
        hold_good_s=round(sum(h.get("good_form_s") or 0.0 for h in holds), 2) if holds_kind else None,
        frames=report.get("frames"), duration_s=report.get("duration_s"), seconds=round(seconds, 2),
    )  # fmt: skip


def analyze_one(item: BatchItem, spec: ExerciseSpec, options: dict[str, Any]) -> BatchRow:
    """Analyse one video of a batch (in whichever process runs it): its row of the index, never an
    exception for a user error (the row says it)."""
    from .pipeline import analyze

    started = time.perf_counter()
    hashes = {"source_sha256": "", "spec_sha256": spec_sha256(spec)}
    try:
        hashes["source_sha256"] = file_sha256(item.source) if item.source.is_file() else ""
        result = analyze(item.source, spec, item.out, **options)
    except (PosecheckError, KeyboardInterrupt) as exc:  # Ctrl-C reaches every job: what each did is kept
        return BatchRow(str(item.source), str(item.out), "failed", error=str(exc) or "interrupted",
                        seconds=round(time.perf_counter() - started, 2), **hashes)  # fmt: skip
    report = result.to_json()
    holds_kind = spec.kind != "reps"
    row = row_of(item, report, time.perf_counter() - started, holds_kind)
    row.source_sha256, row.spec_sha256 = hashes["source_sha256"], hashes["spec_sha256"]
    nothing = not report["holds"] if holds_kind else not report["rep_count"]
    # Never a silent zero: when nothing was counted, the row carries the report's reasons.
    row.notes = "; ".join([*result.notes, *(report["warnings"] if nothing else [])])
    return row


def _known(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k in BatchRow.__dataclass_fields__}


class Index:
    """index.json and index.csv of a batch, rewritten (atomically) after each video."""

    def __init__(self, out_root: Path) -> None:
        self.root = out_root
        self.rows: dict[str, BatchRow] = {}
        self.order: dict[str, int] = {}  # source -> its place in this batch, the index's order
        self.earlier: dict[str, dict[str, Any]] = {}
        path = out_root / INDEX_JSON
        try:
            data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
            self.earlier = {r["source"]: r for r in data.get("videos", []) if isinstance(r, dict) and "source" in r}
            # videos of earlier batches into this folder stay listed, after this batch's
            self.rows = {k: BatchRow(**_known(r)) for k, r in self.earlier.items()}
        except (OSError, ValueError, AttributeError, TypeError):
            self.earlier, self.rows = {}, {}  # a damaged index: every video is analysed again

    def done_earlier(self, item: BatchItem, spec_hash: str) -> BatchRow | None:
        """The earlier row of ``item`` if it was analysed with this spec, from this very video, and its
        report is still there."""
        row = self.earlier.get(str(item.source))
        if not row or row.get("status") not in ("ok", "skipped") or row.get("spec_sha256") != spec_hash:
            return None
        if not (item.out / REPORT_NAME).is_file() or not item.source.is_file():
            return None
        if row.get("source_sha256") != file_sha256(item.source):
            return None
        return BatchRow(**{**_known(row), "status": "skipped"})

    def add(self, row: BatchRow) -> None:
        self.rows[row.source] = row
        self.write()

    def write(self) -> None:
        rows = sorted(self.rows.values(), key=lambda r: self.order.get(r.source, len(self.order)))
        with writing(self.root, "create the output folder"):
            self.root.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.root / INDEX_JSON, {"videos": [asdict(r) for r in rows]}, action="write the index")
        text = io.StringIO()
        table = csv.writer(text)
        table.writerow(COLUMNS)
        table.writerows(r.csv_values() for r in rows)
        tmp = self.root / (INDEX_CSV + ".tmp")
        with writing(self.root / INDEX_CSV, "write the index"):
            tmp.write_text(text.getvalue(), encoding="utf-8")
            tmp.replace(self.root / INDEX_CSV)


class BatchProgress:
    """One progress line over the whole batch: videos done of all, time so far and left; a line per video."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.done, self.width = total, 0, width
        self.stream = stream or sys.stderr
        self._start = time.perf_counter()

    def update(self, row: BatchRow) -> None:
        self.done += 1
        if row.status == "ok":
            what = f"{row.rep_count} reps" if row.holds is None else f"{row.holds} holds, {row.hold_good_s} s good form"
            what += f" ({row.notes})" if row.notes else ""
        elif row.status == "skipped":
            what = MESSAGES["skipped"].format(out=row.out)
        else:
            what = f"failed: {row.error}"
        elapsed = time.perf_counter() - self._start
        left = elapsed / self.done * (self.total - self.done)
        bar = "#" * int(self.width * self.done / max(self.total, 1))
        self.stream.write(
            MESSAGES["done"].format(done=self.done, total=self.total, source=Path(row.source).name, what=what) + "\n"
        )
        self.stream.write(
            f"[{bar:<{self.width}}] {self.done}/{self.total} videos  {elapsed:.0f} s  {left:.0f} s left\n"
        )
        self.stream.flush()


Submit = Callable[[BatchItem], "Future[BatchRow]"]


def run_batch(
    items: Sequence[BatchItem],
    spec: ExerciseSpec,
    index: Index,
    *,
    jobs: int,
    options: dict[str, Any],
    progress: Callable[[BatchRow], None] = lambda row: None,
    submit: Callable[[Iterable[BatchItem]], Iterator[BatchRow]] | None = None,
) -> list[BatchRow]:
    """Analyse ``items``, ``jobs`` at a time, skipping those done earlier; every row goes to ``index``
    and ``progress`` as it comes. ``submit``: run the items elsewhere (a cluster) instead of in local
    processes; it yields their rows as they finish."""
    spec_hash = spec_sha256(spec)
    index.order = {str(item.source): i for i, item in enumerate(items)}
    rows: list[BatchRow] = []
    todo: list[BatchItem] = []
    for item in items:
        earlier = index.done_earlier(item, spec_hash)
        if earlier is None:
            todo.append(item)
        else:
            rows.append(earlier)
            index.add(earlier)
            progress(earlier)

    def finished(row: BatchRow) -> None:
        rows.append(row)
        index.add(row)
        progress(row)

    if submit is not None:
        for row in submit(todo):
            finished(row)
        return rows
    if jobs <= 1 or len(todo) <= 1:
        for item in todo:
            finished(analyze_one(item, spec, options))
        return rows
    from .processes import model_context

    with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=model_context()) as pool:
        pending: set[Future[BatchRow]] = {pool.submit(analyze_one, item, spec, options) for item in todo}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return rows
