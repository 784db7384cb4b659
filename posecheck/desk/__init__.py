"""`posecheck desk`: a watcher that reminds you to take a break from sitting.

The loop, one sample every ``sample_every_s`` of (simulated) time::

    clock = ScaledClock(speed=1.0)
    with open_sampler("0") as sampler, create_backend(options=...) as backend:
        tracker, breaks, summary = DeskStateTracker(config), BreakTracker(config), DaySummary(config)
        while (frame := sampler.frame_at(clock.now())) is not None:
            obs = observe(backend.detect(frame), frame.size, config)      # seated/standing cues, or nobody
            events = tracker.update(obs)                                   # StateChanged, Calibrated
            events += breaks.update(obs.t_s, tracker.state, tracker.since)  # BreakStarted/Ended, Reminder
            summary.update(events); log.write(events)

:class:`~posecheck.desk.session.DeskSession` runs exactly that; ``posecheck desk`` is its command line.
Every threshold and default is in :class:`~posecheck.desk.config.DeskConfig`; every sentence shown to
the user is in :mod:`posecheck.desk.messages`.
"""

from .breaks import BreakTracker
from .config import DeskConfig
from .state import DeskState, DeskStateTracker, Observation, observe

__all__ = ["BreakTracker", "DeskConfig", "DeskState", "DeskStateTracker", "Observation", "observe"]
