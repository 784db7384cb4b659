"""A batch run on an existing Dask cluster: ``posecheck analyze folder/ --scheduler tcp://host:8786``.

Each video becomes one future (:func:`posecheck.batch.analyze_one`) on the cluster's workers, through
``distributed``'s ``Client.submit``; rows come back as the futures finish (``as_completed``). Needs the
optional extra: ``pip install 'posecheck[cluster]'``.

What each worker needs (nothing is downloaded, here or there):
- posecheck installed (``pip install posecheck``, which brings mediapipe 0.10.21 and its pose model:
  each worker assembles the model bundle from that wheel into its own cache on first use);
- the videos and the output folder at the same paths as on this machine (a shared file system);
- the spec: it travels with each future (parsed here, pickled), so a spec file of your own need not
  be on the workers.

A Dask worker is a daemon process by default, and a daemon may not start processes of its own, which
the annotated video's writer is. Start workers with ``DASK_DISTRIBUTED__WORKER__DAEMON=False`` to get
annotated.mp4; otherwise the video is left out and the row's notes say so.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator
from typing import Any

from .batch import BatchItem, BatchRow, analyze_one
from .errors import ClusterError
from .spec.schema import ExerciseSpec

MESSAGES = {
    "missing": "--scheduler needs Dask's distributed package ({error}); install it: pip install 'posecheck[cluster]'",
    "connect": "cannot reach the Dask scheduler at {address} ({error}); check the address and that it is running",
    "no_video": "annotated.mp4 not written: this Dask worker is a daemon process, which may not start the "
    "video writer; start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False",
}
CONNECT_TIMEOUT_S = 10.0


def analyze_on_worker(item: BatchItem, spec: ExerciseSpec, options: dict[str, Any]) -> BatchRow:
    """:func:`analyze_one` as a Dask task: one model process (a daemon worker may start only
    subprocesses), and no annotated video where the worker may not start its writer."""
    options = {**options, "workers": 1}
    note = ""
    if multiprocessing.current_process().daemon and options.get("write_video", True):
        options["write_video"], note = False, MESSAGES["no_video"]
    row = analyze_one(item, spec, options)
    row.notes = "; ".join(n for n in (row.notes, note) if n)
    return row


def dask_submitter(address: str, spec: ExerciseSpec, options: dict[str, Any]):
    """A ``submit`` for :func:`posecheck.batch.run_batch` that runs every item on the Dask scheduler at
    ``address``. Raises :class:`ClusterError` if distributed is missing or the scheduler cannot be reached."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise ClusterError(MESSAGES["missing"].format(error=exc)) from None

    def submit(items: Iterable[BatchItem]) -> Iterator[BatchRow]:
        items = list(items)
        if not items:
            return
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(MESSAGES["connect"].format(address=address, error=exc)) from None
        with client:
            futures = [
                client.submit(
                    analyze_on_worker, item, spec, options, pure=False, key=f"posecheck-{i}-{item.source.name}"
                )
                for i, item in enumerate(items)
            ]
            for future in as_completed(futures):
                yield future.result()

    return submit
