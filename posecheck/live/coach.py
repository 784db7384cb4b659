"""The live mode's sink: what each step of the shared loop means for the person in front of the camera.

The :class:`Coach` runs on the pose thread, as the last sink of :func:`posecheck.pipeline.run_loop`. It
holds back counting until set-up guidance says go (the countdown is the set's only gate: the evaluator
counts from "go"), logs every rep and hold as it happens (cues come paced by the evaluator's own stage),
speaks, prints (headless), applies key commands and spec reloads between frames, and publishes a
:class:`LiveStatus` for the window.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import events as ev
from ..errors import SpecError
from ..evaluator import Evaluator
from ..landmarks import OTHER_SIDE
from ..pose.types import Pose
from ..sampler import Sample, Sampler
from ..sinks import Sink
from ..sinks.report import json_safe, summary_fields
from ..sinks.step import Step
from ..spec.schema import ExerciseSpec
from .guide import Guidance, SetupGuide
from .keys import Command
from .log import SessionLog
from .printer import Printer, describe
from .reload import SpecWatcher
from .voice import Voice, phrases

#: Events that matter before counting starts: they drive set-up guidance.
SETUP_EVENTS: tuple[type[ev.Event], ...] = (ev.PersonFound, ev.PersonLost, ev.ViewWarning, ev.ViewOk)
#: Spec parts that change how landmarks become metrics; editing them rebuilds the sampler.
SAMPLER_FIELDS: tuple[str, ...] = ("metrics", "side", "smoothing", "landmarks")
#: How long a short notice ("left side forced", "spec reloaded") stays on screen.
NOTICE_S = 2.5


@dataclass(frozen=True)
class LiveStatus:
    """What the window shows besides the pose result; replaced as a whole by the pose thread."""

    spec: ExerciseSpec
    guidance: Guidance = field(default_factory=Guidance)
    paused: bool = False
    forced_side: str | None = None
    muted: bool = False
    reload_error: str | None = None
    set_index: int = 1
    notice: str = ""
    notice_until: float = -math.inf


class SideSampler:
    """The loop's sampler, rebuilt when a side is forced (the 's' key) or a spec edit changes what is
    measured; thresholds-only edits keep its smoothing and history."""

    def __init__(self, spec: ExerciseSpec) -> None:
        self.spec = spec
        self.forced: str | None = None
        self._sampler = Sampler(spec)

    def update(self, pose: Pose | None, timestamp_ms: float, people_in_view: int = 0) -> Sample:
        """See :meth:`Sampler.update`."""
        return self._sampler.update(pose, timestamp_ms, people_in_view)

    def set_spec(self, spec: ExerciseSpec) -> None:
        """Use ``spec`` from the next frame; rebuild only if what it measures changed."""
        changed = any(getattr(spec, f) != getattr(self.spec, f) for f in SAMPLER_FIELDS)
        self.spec = spec
        if changed:
            self._rebuild()

    def force(self, side: str | None) -> None:
        """Measure ``side`` whatever the spec's rule says (None: back to the rule)."""
        self.forced = side
        self._sampler.force_side(side)

    def _rebuild(self) -> None:
        self._sampler = Sampler(self.spec)
        self._sampler.force_side(self.forced)


def _same_kind(current: Callable[[], ExerciseSpec]) -> Callable[[ExerciseSpec], None]:
    def check(spec: ExerciseSpec) -> None:
        old = current()
        if spec.kind != old.kind:
            raise SpecError(
                f"{spec.path}: 'kind' changed from '{old.kind}' to '{spec.kind}'; kept the running spec "
                "(restart the session to change the kind of exercise)"
            )

    return check


def _set_record(summary: ev.Summary, index: int) -> dict[str, Any]:
    return json_safe({"set": index, **summary_fields(summary)})


class Coach:
    """Sink of the live loop (see the module docstring). Used only from the pose thread, except
    :attr:`status`, which the window reads.

    ``sinks`` get every step after guidance and pacing (frames.csv, the recording, the window feed);
    ``on_record`` is called after each logged rep or hold (the session rewrites report.json then);
    ``printer`` is set in headless mode.
    """

    def __init__(
        self,
        spec: ExerciseSpec,
        evaluator: Evaluator,
        sampler: SideSampler,
        *,
        log: SessionLog,
        voice: Voice,
        sinks: Sequence[Sink] = (),
        printer: Printer | None = None,
        countdown_s: float = 3.0,
        guidance: bool = True,
        hold_announce_every_s: float = 10.0,
        on_record: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.spec = spec
        self.evaluator = evaluator
        self.sampler = sampler
        self.log = log
        self.voice = voice
        self.sinks = list(sinks)
        self.printer = printer
        self.guide = SetupGuide(spec, countdown_s, guidance)
        self.hold_every_s = hold_announce_every_s
        self.on_record = on_record
        self.clock = clock
        self.previous_sets: list[dict[str, Any]] = []
        self.watcher = SpecWatcher(spec.path, check=_same_kind(lambda: self.spec)) if spec.path else None
        self.status = LiveStatus(spec, Guidance(self.guide.stage))
        self.paused = False
        self.set_index = 1
        self._last_t = 0.0
        self._last_side: str | None = None
        self._said_message = ""
        self._printed_message = ""
        self._countdown_said: int | None = None
        self._lost = False

    # -- the loop's sink ---------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        """True once set-up guidance has said go (reps and holds of this set are being counted)."""
        return self.guide.stage == "counting"

    def write(self, step: Step) -> None:
        """Take one step of the loop (see the class docstring)."""
        t = step.sample.t_s
        self._last_t = t
        if step.sample.side is not None:
            self._last_side = step.sample.side
        was_counting = self.counting
        guidance = self.guide.update(step)
        if not was_counting:
            step = replace(
                step,
                events=tuple(e for e in step.events if isinstance(e, SETUP_EVENTS)),
                phase="setup", ready=False, rep_count=0, active_faults=frozenset(), hold_good_s=None,
                rep_count_by_side={k: 0 for k in step.rep_count_by_side},
            )  # fmt: skip
        if guidance.started:
            self._start_counting(t)
        recorded = self._log_events(step.events) if was_counting else False
        self._speak(step, guidance, was_counting)
        self._print(step, guidance, was_counting)
        for sink in self.sinks:
            sink.write(step)
        self._publish(guidance=guidance)
        if recorded and self.on_record is not None:
            self.on_record()

    def close(self, summary: ev.Summary) -> None:
        """Nothing to close: the session owns the log, the voice and the other sinks."""

    # -- counting --------------------------------------------------------------------------------
    def _start_counting(self, t: float) -> None:
        if self.guide.countdown_s > 0:
            # The countdown was the gate: count from "go", whatever the posture.
            self.evaluator.reset()
            self.evaluator.start()
            self.guide.evaluator_reset()
        # With no countdown (a video file as the camera) the evaluator has run from the first frame with its
        # own start gate, exactly as analyze runs it: nothing to reset.
        self.log.append("set_start", set=self.set_index, t_s=t)
        self.voice.say("go")
        self._print_line(t, f"go: counting set {self.set_index}")

    def _log_events(self, events: Sequence[ev.Event]) -> bool:
        recorded = False
        for e in events:
            if isinstance(e, ev.RepCompleted):
                self.log.append("rep", set=self.set_index, t_s=e.t_s, **dataclasses.asdict(e.rep))
                recorded = True
            elif isinstance(e, ev.HoldEnded):
                self.log.append("hold", set=self.set_index, t_s=e.t_s, **dataclasses.asdict(e.hold))
                recorded = True
            elif isinstance(e, ev.Cue):
                self.log.append("cue", set=self.set_index, t_s=e.t_s, text=e.text, fault=e.fault)
        return recorded

    def finish(self) -> ev.Summary:
        """End of the session: close what the evaluator has open, log it, return the set's summary.

        A session that never got past set-up has an empty summary (nothing was counted).
        """
        if not self.counting:
            by_side = {"left": 0, "right": 0} if self.spec.side.per_side else {}
            return ev.Summary(rep_count_by_side=by_side)
        events = self.evaluator.finish()
        self._log_events(events)
        if self.printer is not None:
            for e in events:
                text = describe(e, self.spec)
                if text:
                    self.printer.line(e.t_s, text)
        return self.evaluator.summary

    # -- commands (from keys) --------------------------------------------------------------------
    def command(self, cmd: Command) -> None:
        """Apply a key command between two frames."""
        t = self._last_t
        if cmd is Command.PAUSE:
            self.paused = not self.paused
            word = "paused" if self.paused else "resumed"
            self.log.append(word, set=self.set_index, t_s=t)
            self.voice.say(word)
            self._notify(t, f"counting {word}" + (": press space to go on" if self.paused else ""))
        elif cmd is Command.RESET:
            self.reset_set(t)
        elif cmd is Command.SWITCH_SIDE:
            self._switch_side(t)
        elif cmd is Command.MUTE:
            self.voice.muted = not self.voice.muted
            self.log.append("muted" if self.voice.muted else "unmuted", t_s=t)
            self._notify(t, "voice muted" if self.voice.muted else "voice on")

    def reset_set(self, t: float) -> None:
        """End this set (kept in ``previous_sets`` and the log) and start a new one from set-up."""
        if self.counting:
            summary = self.finish()
            self.previous_sets.append(_set_record(summary, self.set_index))
            self.log.append("set_end", t_s=t, **_set_record(summary, self.set_index))
        self.evaluator.reset()
        self.guide.restart()
        self.set_index += 1
        self.log.append("set_reset", set=self.set_index, t_s=t)
        self.voice.say("new set")
        self._notify(t, f"set reset: set {self.set_index}")

    def _switch_side(self, t: float) -> None:
        if not self.spec.side.per_side:
            self._notify(t, f"{self.spec.name} is not done per side: nothing to switch")
            return
        forced = None if self.sampler.forced else OTHER_SIDE.get(self._last_side or "", "left")
        self.sampler.force(forced)
        self.log.append("side", t_s=t, forced=forced)
        if forced:
            self.voice.say(f"{forced} side")
            self._notify(t, f"measuring the {forced} side: press s to switch back")
        else:
            self.voice.say("side chosen automatically")
            self._notify(t, "side chosen automatically again")

    # -- spec hot reload -------------------------------------------------------------------------
    def poll_reload(self) -> None:
        """Apply the spec file's new contents if it changed (called before each frame)."""
        if self.watcher is None:
            return
        outcome = self.watcher.poll()
        if outcome is None:
            return
        t = self._last_t
        if outcome.spec is None:
            self.log.append("spec_reload_failed", t_s=t, error=outcome.error)
            self._publish(reload_error=outcome.error)
            if self.printer is not None:
                print(f"posecheck: spec not reloaded, keeping the running one: {outcome.error}", file=sys.stderr)
            return
        spec = outcome.spec
        changed = [
            f.name for f in dataclasses.fields(spec)
            if f.name != "path" and getattr(spec, f.name) != getattr(self.spec, f.name)
        ]  # fmt: skip
        self.evaluator.swap_spec(spec)
        self.sampler.set_spec(spec)
        self.guide.spec = spec
        self.spec = spec
        self.log.append("spec_reloaded", t_s=t, path=str(spec.path), changed=changed)
        self._publish(spec=spec, reload_error=None)
        self._notify(t, "spec reloaded" + (f": {', '.join(changed)} changed" if changed else ""))

    # -- output ----------------------------------------------------------------------------------
    def _publish(self, **changes: Any) -> None:
        changes.setdefault("paused", self.paused)
        changes.setdefault("forced_side", self.sampler.forced)
        changes.setdefault("muted", self.voice.muted)
        changes.setdefault("set_index", self.set_index)
        self.status = replace(self.status, **changes)

    def _notify(self, t: float, text: str) -> None:
        self._publish(notice=text, notice_until=self.clock() + NOTICE_S)
        self._print_line(t, text)

    def _print_line(self, t: float, text: str) -> None:
        if self.printer is not None:
            self.printer.line(t, text)

    def _speak(self, step: Step, guidance: Guidance, counting: bool) -> None:
        parts = phrases(step, self.hold_every_s) if counting else []
        if guidance.countdown is not None and guidance.countdown != self._countdown_said:
            parts.append(str(guidance.countdown))
        self._countdown_said = guidance.countdown
        # What is wrong with the set-up is spoken too (lying on a mat you cannot read it), once per change.
        advice = guidance.message if guidance.reason in ("absent", "view", "frame") else ""
        if advice and advice != self._said_message:
            parts.append(advice if not counting else f"counting paused: {advice}")
        self._said_message = advice
        if parts:
            self.voice.say(". ".join(parts))

    def _print(self, step: Step, guidance: Guidance, counting: bool) -> None:
        if self.printer is None:
            return
        t = step.sample.t_s
        if counting:
            for e in step.events:
                if isinstance(e, ev.PersonFound) and not self._lost:
                    continue  # only worth a line after "no person in view" (or for a second person)
                self._lost = isinstance(e, ev.PersonLost) or (self._lost and not isinstance(e, ev.PersonFound))
                text = describe(e, self.spec)
                if text:
                    self.printer.line(t, text)
        show = guidance.message if (not counting or guidance.reason == "frame") else ""
        if guidance.countdown is not None:
            show = f"in view: starting in {guidance.countdown}"
        if show != self._printed_message:
            self._printed_message = show
            if show:
                self.printer.line(t, show)
