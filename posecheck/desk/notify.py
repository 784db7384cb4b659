"""Reminders reach the user three ways: a terminal line (always), the voice (unless muted) and a
desktop notification (``notify-send``, where it is installed and not headless)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TextIO

from ..live.voice import Voice

NOTIFY_COMMAND = "notify-send"
NOTIFY_ARGS = ("--app-name=posecheck", "--urgency=normal")


class Notifier:
    """Shows terminal lines and gives reminders. A notification that fails is skipped, never fatal."""

    def __init__(self, voice: Voice, *, desktop: bool, stream: TextIO | None = None) -> None:
        self.voice = voice
        self.stream = stream if stream is not None else sys.stdout
        self.notify_send = shutil.which(NOTIFY_COMMAND) if desktop else None
        self.sent = 0

    def line(self, stamp: str, text: str) -> None:
        print(f"[{stamp}] {text}", file=self.stream, flush=True)

    def remind(self, stamp: str, text: str, spoken: str, title: str) -> None:
        self.line(stamp, text)
        self.voice.say(spoken)
        if self.notify_send is not None:
            try:
                subprocess.Popen(
                    [self.notify_send, *NOTIFY_ARGS, title, text], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                )  # fmt: skip
                self.sent += 1
            except OSError:
                self.notify_send = None  # gone or broken: the terminal line and the voice remain

    def close(self) -> None:
        self.voice.close()
