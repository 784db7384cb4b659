"""posecheck: exercise form checking from a webcam or a video, fully offline.

The whole loop, as the command line runs it::

    from posecheck import Evaluator, Sampler, create_backend, find_spec, open_source, PersonSelector

    spec = find_spec("glute_bridge")                  # or load_spec("my_bridge.toml")
    sampler, evaluator, selector = Sampler(spec), Evaluator(spec), PersonSelector()
    with open_source("bridges.mp4") as frames, create_backend() as backend:
        for frame in frames:
            pose = selector.update(backend.detect(frame), frame.timestamp_ms)
            sample = sampler.update(pose, frame.timestamp_ms, selector.people_in_view)
            for event in evaluator.update(sample):
                print(event)
    print(evaluator.summary)

``analyze(source, spec, out_dir)`` does the same and writes report.json, frames.csv and annotated.mp4.
"""

from .errors import CameraError, ModelError, NoPersonError, OutputError, PosecheckError, SourceError, SpecError
from .evaluator import Evaluator
from .sampler import Sample, Sampler
from .spec import ExerciseSpec, find_spec, list_specs, load_spec

__all__ = [
    "CameraError", "Evaluator", "ExerciseSpec", "ModelError", "NoPersonError", "OutputError",
    "PersonSelector", "PosecheckError", "Sample", "Sampler", "SourceError", "SpecError",
    "analyze", "create_backend", "find_spec", "list_specs", "load_spec", "open_source",
]  # fmt: skip


def __getattr__(name: str):
    # Lazy: importing posecheck must not import OpenCV or MediaPipe (metrics and tuning stay fast).
    if name == "analyze":
        from .pipeline import analyze

        return analyze
    if name in ("create_backend", "PersonSelector"):
        from . import pose

        return getattr(pose, name)
    if name == "open_source":
        from .sources import open_source

        return open_source
    raise AttributeError(f"module 'posecheck' has no attribute {name!r}")
