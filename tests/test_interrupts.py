"""Ctrl-C and SIGTERM end a run between frames (posecheck.interrupts)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from posecheck.interrupts import FrameBoundary, terminate_as_interrupt


def test_a_ctrl_c_within_a_frame_acts_when_the_frame_is_recorded():
    done = []
    with FrameBoundary() as boundary:
        with pytest.raises(KeyboardInterrupt):
            with boundary.step():
                os.kill(os.getpid(), signal.SIGINT)
                done.append("the rest of the frame")
    assert done == ["the rest of the frame"]


def test_a_ctrl_c_between_frames_acts_at_once():
    with FrameBoundary() as boundary:
        with boundary.step():
            pass
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # Python runs the handler before the next line
            pytest.fail("the interrupt waited")


def test_sigterm_under_the_command_line_is_held_as_ctrl_c_is_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    done = []
    with terminate_as_interrupt(), FrameBoundary() as boundary:
        with pytest.raises(KeyboardInterrupt):
            with boundary.step():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("recorded")
    assert done == ["recorded"]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_default_sigterm_is_left_alone_and_other_threads_change_nothing():
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # a library caller's: not held
    seen = []

    def in_a_thread():  # signal.signal would raise here: the boundary must not call it
        with FrameBoundary() as boundary, boundary.step():
            seen.append(signal.getsignal(signal.SIGINT))

    with FrameBoundary():
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
    assert seen and seen[0] is not signal.default_int_handler  # the main thread's boundary is in place
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
