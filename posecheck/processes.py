"""How posecheck starts Python worker processes (the annotated-video writer, the segment pool), and how
they end with their parent."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time

#: How often a child looks whether its parent is still there (s).
PARENT_POLL_S = 0.25


def child_context() -> mp.context.BaseContext:
    """'fork' where there is one: children start before posecheck has started any thread or model in
    this process (the model always runs in a process of its own), so a fork copies no model state;
    unlike 'spawn' it does not re-run the caller's main script, which a script without a main guard
    would not survive. 'spawn' elsewhere.
    """
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def model_context() -> mp.context.BaseContext:
    """For children that run the pose model: :func:`child_context`, except once this process has
    loaded mediapipe itself (a program that also runs the model in-process): a fork would copy the
    model's native state and threads, which crashes the child, so 'spawn' (a fresh interpreter; the
    caller's main script then needs its ``if __name__ == "__main__":`` guard, as multiprocessing says).
    """
    return mp.get_context("spawn") if "mediapipe" in sys.modules else child_context()


def exit_with_parent(parent: int) -> None:
    """In a child: end this process at once (``os._exit``) when ``parent`` is gone, from a daemon thread
    that looks every :data:`PARENT_POLL_S`. For children that block where they cannot notice it
    themselves (a pool's worker waiting for its next task)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="posecheck-parent-watch", daemon=True).start()
