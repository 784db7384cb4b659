"""Smoothing of landmark tracks: the One Euro filter (Casiez, Roussel, Vogel, CHI 2012)."""

from __future__ import annotations

import math

import numpy as np

_TWO_PI = 2 * math.pi
_CHUNK = 2048  # frames whose per-frame operands are laid out at once (bounds the memory on long tracks)


def _alpha(cutoff_hz: np.ndarray | float, dt_s: np.ndarray | float) -> np.ndarray:
    tau = 1.0 / (_TWO_PI * np.asarray(cutoff_hz, float))
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Adaptive low-pass filter over arrays of any fixed shape.

    Slow movement is smoothed hard (``min_cutoff``); fast movement passes with little lag (``beta``).
    NaN inputs leave the state unchanged and come out as NaN. A timestamp not after the previous one
    restarts the filter (the value is taken as it is).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self._rows: tuple[tuple[int, float, float], tuple[np.ndarray, ...]] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the past (after a dropout the next value is taken as it is)."""
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t: float | None = None

    def update(self, x: np.ndarray, t_s: float) -> np.ndarray:
        """Filter one observation at time ``t_s`` (seconds); returns the smoothed value."""
        x = np.asarray(x, float)
        return self.filter_track(x[None], np.array([t_s], float))[0]

    def filter_track(self, x: np.ndarray, t_s: np.ndarray, restart: np.ndarray | None = None) -> np.ndarray:
        """Filter T observations in time order: ``x`` (T, ...) at ``t_s`` (T,) seconds; returns (T, ...).

        The same as T calls of :meth:`update`, bit for bit (:meth:`update` is this on one row), with
        :meth:`reset` called before every frame where ``restart`` (T,) bool is True.
        """
        x = np.asarray(x, float)
        n = len(x)
        if n == 0:
            return x.copy()
        flat = x.reshape(n, -1)
        t = np.asarray(t_s, float)
        fresh = np.zeros(n, bool) if restart is None else np.array(restart, bool)
        out = np.empty(flat.shape)
        for a in range(0, n, _CHUNK):
            out[a : a + _CHUNK] = self._chunk(flat[a : a + _CHUNK], t[a : a + _CHUNK], fresh[a : a + _CHUNK])
        return out.reshape(x.shape)

    def _chunk(self, flat: np.ndarray, t: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        """Filter (n, C) values at n times; ``fresh`` (n,) True where the filter restarts."""
        n, width = flat.shape
        t_prev = np.empty(n)
        t_prev[0] = self._t if self._t is not None else np.nan
        t_prev[1:] = t[:-1]
        dt = t - t_prev
        fresh = fresh | (dt <= 0)  # a timestamp not after the last one
        fresh[0] |= self._x is None or self._t is None or self._dx is None
        a_d = _alpha(self.d_cutoff, np.where(dt > 0, dt, 1.0))  # frames that restart do not use it
        finite = np.isfinite(flat)
        # Which channels hold a state value before each frame: those finite since the last restart
        # (a finite input gives a finite state: the filter mixes it with the finite previous one).
        carried = np.zeros(width, bool) if self._x is None else np.isfinite(self._x)
        if finite.all():
            seen = np.ones((n, width), bool)
            seen[0] = carried
        else:
            before = np.zeros((n, width), np.int32)
            np.cumsum(finite[:-1], axis=0, out=before[1:])
            start = np.maximum.accumulate(np.where(fresh, np.arange(n), 0))
            seen = (before - before[start]) > 0
            seen[: np.argmax(fresh) if fresh.any() else n] |= carried
        all_seen = seen.all(axis=1)
        plain = (finite.all(axis=1) & all_seen).tolist()
        # One buffer holds, for frame k, its input (row 0) and the state before it (row 1): the state
        # after frame k is written straight into row 1 of frame k + 1, so that no step copies.
        io = np.empty((n + 1, 2, width))
        io[:n, 0] = flat
        if self._x is not None:
            io[0, 1] = self._x
        # Where the input is NaN the state stands in for it, and where a channel has no state yet its
        # own value (or 0) stands in for the state: the steps below then give exactly the masked
        # formula (a derivative of 0 there); the state of the NaN channels is put back after the step.
        stand_in = np.where(finite, flat, 0.0)
        # Every operand as a full row: numpy ufuncs on same-shape arrays of one dtype take their
        # fastest loop; a broadcast (1,) array or a Python float costs more than the arithmetic.
        dts = np.empty((n, width))
        dts[:] = dt[:, None]
        a_c = np.empty((n, 2, width))  # the derivative's weights
        a_c[:, 0] = a_d[:, None]
        a_c[:, 1] = (1 - a_d)[:, None]
        key = (width, self.beta, self.min_cutoff)
        if self._rows is None or self._rows[0] != key:  # beta, min_cutoff, 2 pi and 1 as full rows
            self._rows = key, tuple(np.full(width, v, float) for v in (self.beta, self.min_cutoff, _TWO_PI, 1.0))
        beta, min_cutoff, two_pi, one = self._rows[1]
        dd = np.zeros((2, width))  # the new derivative (row 0) and the smoothed one (row 1)
        if self._dx is not None:
            dd[1] = self._dx
        raw_d, d = dd[0], dd[1]
        aa, prod, w = np.empty((2, width)), np.empty((2, width)), np.empty(width)
        a, one_minus_a = aa[0], aa[1]
        ax, bx = prod[0], prod[1]
        add, subtract, multiply, divide, absolute, putmask = (
            np.add, np.subtract, np.multiply, np.divide, np.absolute, np.putmask
        )  # fmt: skip
        frames = zip(
            list(io[:n]), list(io[:n, 0]), list(io[:n, 1]), list(io[1:, 1]), fresh.tolist(), plain,
            all_seen.tolist(), list(~finite), list(~seen), list(stand_in), list(dts), list(a_c),
        )  # fmt: skip
        for io_k, x_k, prev_k, next_k, fresh_k, plain_k, all_seen_k, lost, unseen, stand_in_k, dt_k, a_c_k in frames:
            if fresh_k:
                next_k[:] = x_k
                d[:] = 0.0
                continue
            if not plain_k:
                if not all_seen_k:
                    putmask(prev_k, unseen, stand_in_k)
                putmask(x_k, lost, prev_k)
            # smoothed = a * x + (1 - a) * prev, a = _alpha(min_cutoff + beta * |dx|, dt): step by step.
            subtract(x_k, prev_k, raw_d)
            divide(raw_d, dt_k, raw_d)
            multiply(dd, a_c_k, dd)  # a_d * dx and (1 - a_d) * the previous derivative
            add(raw_d, d, d)
            absolute(d, w)
            multiply(beta, w, w)
            add(min_cutoff, w, w)
            multiply(two_pi, w, w)
            divide(one, w, w)
            divide(w, dt_k, w)
            add(one, w, w)
            divide(one, w, a)
            subtract(one, a, one_minus_a)
            multiply(aa, io_k, prod)  # a * x and (1 - a) * prev
            add(ax, bx, next_k)
            if not plain_k:
                putmask(next_k, lost, prev_k)
        out = io[1:, 1].copy()
        state = out[-1].copy()
        state[~(seen[-1] | finite[-1])] = np.nan
        out[~finite] = np.nan
        self._x, self._dx, self._t = state, d.copy(), float(t[-1])
        return out
