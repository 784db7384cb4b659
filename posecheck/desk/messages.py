"""Every sentence the desk watcher shows or says, as one table (``str.format`` templates)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # terminal lines
    "start": "posecheck desk: watching {source} (a sample every {every:g} s{speed}); sit at your desk as usual. "
    "Reminder after {limit} of sitting, a break is {brk} up or away.{snooze}",
    "start_speed": ", {speed:g}x speed",
    "snooze_hint": " Type s + Enter to snooze reminders for {snooze}.",
    "calibrated": "calibrated: seated head and shoulders set from {n} samples",
    "state": "{previous} -> {state}",
    "break_started": "break: {state} since {since} (after {sat} seated)",
    "break_ended": "back at the desk after a {length} break",
    "reminder": "You have been sitting for {sat}. Time to stand up and move for {brk}.",
    "reminder_say": "You have been sitting for {sat_words}. Time to stand up and move.",
    "reminder_title": "posecheck: time for a break",
    "snoozed": "reminders snoozed until {until}",
    "snooze_unavailable": "snooze: stdin is not a terminal, so s + Enter cannot be read",
    "heeded": "reminder {index} heeded: a break began {after} after it",
    "ignored": "reminder {index} ignored: no break within {within}",
    # summary
    "summary_title": "Desk summary ({source}, {duration}; ended by {ended_by})",
    "summary_line": "  seated {seated} ({seated_pct:.0f}%), standing {standing}, away {away}, unknown {unknown}",
    "summary_stretch": "  longest sitting stretch {longest}; breaks taken {breaks}",
    "summary_reminders": "  reminders {given}: heeded {heeded}, snoozed {snoozed}, ignored {ignored}, undecided {pending}",
    "summary_note": "  note: {note}",
    "summary_files": "  log: {log}\n  summary: {summary}",
    # why nothing (or not everything) could be judged
    "never_seen": "no person was seen in {duration} of input: the camera may point elsewhere, be covered or "
    "be too dark; sit facing it with your head and shoulders in the picture",
    "never_calibrated": "the seated position was never calibrated (a person was seen in only {n} samples, "
    "{need} needed within the first seconds): standing could not be told from sitting, only away",
    "unknown_time": "{unknown} at the start could not be judged (nobody seen yet)",
    "pending_reminders": "{n} reminder(s) were given less than {within} before the end: neither heeded nor ignored",
    # ended by (and summary.json's ended_by while the session runs)
    "end_of_input": "end of input",
    "interrupted": "interrupted",
    "error": "error",
    "still_running": "still running",
    # errors (raised as PosecheckError and shown as one "posecheck: error:" line)
    "not_positive": "{option} {text}: expected a positive number; for example {option} 2",
    "speed_with_camera": "--speed {speed}: a camera runs in real time; --speed needs a video file as --camera "
    "(e.g. --camera sample_videos/desk_demo.mp4 --speed 60)",
    "bad_setting": "desk setting {name} must be a positive number, got {value!r}; give it a value above 0",
    # what was being done when an output error happened ("OUT: cannot <this> (reason): what to do")
    "create_out": "create the output folder",
}

#: What the summary's fields mean, written into summary.json beside them.
DEFINITIONS: dict[str, str] = {
    "seated_s": "time classified seated",
    "longest_stretch_s": "longest time from sitting down to the start of a break (short stands under the "
    "break length do not end a stretch)",
    "breaks": "standing or away spans at least as long as the break length, after some sitting",
    "heeded": "a reminder after which a break began within heed_s",
    "ignored": "a reminder after which no break began within heed_s and that was not snoozed",
    "snoozed": "a reminder snoozed (s + Enter) before it was heeded or ignored",
    "pending": "a reminder less than heed_s before the end, with no break yet",
}


def say(key: str, **fields: object) -> str:
    """The message ``key`` filled with ``fields``."""
    return MESSAGES[key].format(**fields)


def duration(seconds: float) -> str:
    """'1 h 05 min', '31 min 20 s', '45 s'."""
    s = round(max(seconds, 0.0))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h} h {m:02d} min"
    if m:
        return f"{m} min {sec:02d} s" if sec else f"{m} min"
    return f"{sec} s"


def duration_words(seconds: float) -> str:
    """'31 minutes', '1 hour 5 minutes' (for speech)."""
    m = round(seconds / 60.0)
    h, m = divmod(m, 60)
    parts = []
    if h:
        parts.append(f"{h} hour" + ("s" if h > 1 else ""))
    if m or not h:
        parts.append(f"{m} minute" + ("s" if m != 1 else ""))
    return " ".join(parts)


def clock(seconds: float) -> str:
    """Simulated time since the start as H:MM:SS."""
    s = int(max(seconds, 0.0))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
