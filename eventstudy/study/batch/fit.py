"""From estimation sums to the fit of each pair, and its event window (AR, se, CAR) written in
place into the result arrays.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from eventstudy._typing import FloatArray, Window
from eventstudy.estimation import kernel
from eventstudy.study.batch.inputs import _EMPTY, _FEW, _FLAT_M, _FLAT_R, _OK
from eventstudy.study.batch.runner import _Runner

if TYPE_CHECKING:
    pass


class _Scratch:
    """Scratch buffers lent to the running tasks: at most one per thread is ever made."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[Any]:
        try:
            item = self._free.get_nowait()
        except queue.Empty:
            item = self._make()
        try:
            yield item
        finally:
            self._free.put(item)


class _Outputs:
    """The result arrays, in the caller's order of pairs.

    Every row is written once: the estimation fields by :func:`_estimate` (NaN for the pairs
    it excludes), the event-window fields by :func:`_event_window`, and the rows of pairs
    excluded before estimation by :meth:`clear`. Without ``paths`` (``fields="car"``),
    ``ar`` and ``se`` are None: each task computes its pairs' days in a scratch of its own
    (:meth:`scratch`), 2 × L floats a pair never held.
    """

    def __init__(self, n_pairs: int, length: int, paths: bool = True) -> None:
        self.length = length
        self.ar: FloatArray | None = np.empty((n_pairs, length)) if paths else None
        self.se: FloatArray | None = np.empty((n_pairs, length)) if paths else None
        self.car = np.empty(n_pairs)
        self.car_var = np.empty(n_pairs)
        self.n_days = np.empty(n_pairs, np.int64)
        self.n_obs = np.zeros(n_pairs, np.int64)
        self.alpha = np.empty(n_pairs)
        self.beta = np.empty(n_pairs)
        self.sigma2 = np.empty(n_pairs)
        self.mean_m = np.empty(n_pairs)
        self.sxx = np.empty(n_pairs)
        self.r2 = np.empty(n_pairs)

    def estimates(self) -> tuple[FloatArray, ...]:
        """The estimation fields that are NaN on an excluded pair."""
        return self.alpha, self.beta, self.sigma2, self.mean_m, self.sxx, self.r2

    @property
    def paths(self) -> bool:
        """Whether the AR and se of every day are kept."""
        return self.ar is not None

    def scratch(self, rows: int) -> tuple[FloatArray, FloatArray]:
        """Where a task writes the days of ``rows`` pairs when the paths are not kept: one
        row (the compiled kernels write each pair there in turn), or a chunk's rows."""
        return np.empty((rows, self.length)), np.empty((rows, self.length))

    def scatter(self, into: _Outputs, rows: np.ndarray) -> None:
        """Write these rows (one part's pairs) at ``rows`` of ``into`` (all pairs)."""
        for name, x in vars(self).items():
            if isinstance(x, np.ndarray):
                getattr(into, name)[rows] = x

    def clear(self, rows: np.ndarray) -> None:
        """NaN rows (zero days in the window) for the excluded pairs."""
        for x in (self.ar, self.se, self.car, self.car_var, *self.estimates()):
            if x is not None:
                x[rows] = np.nan
        self.n_days[rows] = 0


def _window(values: FloatArray, col: np.ndarray, start: np.ndarray, length: int) -> FloatArray:
    """The ``length`` consecutive returns of column ``col`` from row ``start``, per pair.

    A ``start`` before row 0 gives NaN on the rows before it (no returns there).
    """
    early = start < 0
    if not early.any():
        return sliding_window_view(values, length, axis=1)[col, start]
    rows = start[:, None] + np.arange(length)
    out = values[col[:, None], np.maximum(rows, 0)]
    out[rows < 0] = np.nan
    return out


def _fit(w: FloatArray, model: str, min_obs: int
         ) -> tuple[FloatArray, tuple[FloatArray, ...], np.ndarray]:
    """The fit of each pair from its row of estimation sums ``w``.

    Returns n (M), the estimates (alpha, beta, σ̂², mean_m, S_xx, R²; NaN where excluded) and
    the exclusion code of each pair (_OK, _FEW, _FLAT_M or _FLAT_R).
    """
    k = kernel.K[model]
    n = w[:, 0]
    c_r, c_m = w[:, -2], w[:, -1]
    nan = np.full(n.size, np.nan)
    if model == "market":
        fit = kernel.market_model(n, w[:, 1], w[:, 2], w[:, 3], w[:, 4], w[:, 5], c_r, c_m)
        alpha, beta, ssr, mean_m, sxx = fit.alpha, fit.beta, fit.ssr, fit.mean_m, fit.sxx
        flat_m = kernel.zero_benchmark_variance(
            n, sxx, kernel.raw_square_sum(n, w[:, 2], w[:, 4], c_m))
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 5], c_r)
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = np.where(fit.syy > 0, 1.0 - ssr / fit.syy, np.nan)
    elif model == "constant-mean":
        mean_fit = kernel.constant_mean(n, w[:, 1], w[:, 2], c_r)
        alpha, beta, ssr = mean_fit.mu, nan, mean_fit.ssr
        mean_m = sxx = r2 = nan
        flat_m = np.zeros(n.size, bool)
        raw_rr = kernel.raw_square_sum(n, w[:, 1], w[:, 2], c_r)
    else:
        alpha, beta, ssr = np.zeros(n.size), np.ones(n.size), w[:, 1]
        mean_m = sxx = r2 = nan
        flat_m = np.zeros(n.size, bool)
        raw_rr = w[:, 2]
    sig2 = kernel.sigma2(ssr, n, k)
    flat_r = kernel.zero_residual_variance(n, ssr, raw_rr)
    with np.errstate(invalid="ignore"):
        reason = np.where(~(n >= min_obs), _FEW, np.where(
            flat_m, _FLAT_M, np.where(flat_r, _FLAT_R, _OK))).astype(np.int8)
    estimates = (alpha, beta, sig2, mean_m, sxx, r2)
    bad = reason != _OK
    if bad.any():
        estimates = tuple(np.where(bad, np.nan, x) for x in estimates)
    return n, estimates, reason


# --- the event window, in the caller's order ------------------------------------------------

def _event_window(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
                  sums: FloatArray, at: np.ndarray, win: Window, model: str, min_obs: int,
                  chunk_size: int, out: _Outputs, code: np.ndarray, runner: _Runner) -> None:
    """Fit, AR, se, CAR and Var(CAR) of every pair, a chunk of pairs at a time.

    Runs over the pairs in the caller's order and writes each chunk's rows of the outputs in
    place (no reordering). Pairs excluded before estimation read a valid placeholder window
    (their rows are cleared afterwards); those excluded by the fit have NaN estimates, hence
    NaN rows. A pair left with no return in the window is excluded here. The chunks are
    ``runner``'s tasks: each writes only its own rows (of the outputs and of ``code``).
    """
    k = kernel.K[model]
    n_rows = values.shape[1]
    length = win[1] - win[0] + 1
    view = sliding_window_view(values, length, axis=1)
    start = d + win[0]
    placeholder = code != _OK  # excluded before estimation: any valid window will do
    if placeholder.any():
        s, b = np.where(placeholder, 0, s), np.where(placeholder, 0, b)
        np.clip(start, 0, n_rows - length, out=start)
    in_order = bool((at[:-1] < at[1:]).all()) and at.size == sums.shape[0] - 1
    buffer = _Scratch(lambda: np.empty((min(chunk_size, s.size), sums.shape[1])))
    days = _Scratch(lambda: out.scratch(min(chunk_size, s.size)))  # paths not kept

    def chunk(p0: int) -> None:
        if in_order:  # the rows of sums are the pairs, in order
            fill(p0, sums[p0:min(p0 + chunk_size, s.size)])
        else:  # the fit's n is a view of the rows: the buffer stays lent until the end
            with buffer() as w:
                pick = at[p0:p0 + chunk_size]
                fill(p0, np.take(sums, pick, axis=0, out=w[:pick.size], mode="clip"))

    def fill(p0: int, rows: FloatArray) -> None:
        if out.paths:
            assert out.ar is not None and out.se is not None
            write(p0, rows, out.ar[p0:p0 + chunk_size], out.se[p0:p0 + chunk_size])
            return
        with days() as (ar, se):
            write(p0, rows, ar[:rows.shape[0]], se[:rows.shape[0]])

    def write(p0: int, rows: FloatArray, ar: FloatArray, se: FloatArray) -> None:
        part = slice(p0, p0 + chunk_size)
        n, estimates, reason = _fit(rows, model, min_obs)
        alpha, beta, sig2, mean_m, sxx, _ = estimates
        out.n_obs[part] = n
        for into, x in zip(out.estimates(), estimates, strict=True):
            into[part] = x
        r = view[s[part], start[part]]
        if model == "constant-mean":
            np.subtract(r, alpha[:, None], out=ar)
        else:
            m = view[b[part], start[part]]
            if model == "market-adjusted":
                np.subtract(r, m, out=ar)
            else:
                np.multiply(m, beta[:, None], out=ar)
                ar += alpha[:, None]
                np.subtract(r, ar, out=ar)
        invalid = np.isnan(ar)
        if model == "market":
            kernel.ar_variance(sig2[:, None], k, n[:, None], mean_m[:, None], sxx[:, None],
                               1.0, m, out=se)
        else:  # Var(AR) does not depend on R_m: one value per pair
            np.copyto(se, kernel.ar_variance(sig2, k, n, mean_m, sxx, 1.0, 0.0)[:, None])
        np.copyto(se, np.nan, where=invalid)
        np.sqrt(se, out=se)
        # row sums by einsum, not a matrix-vector product: OpenBLAS would run that on two
        # threads, too many beside the pool's
        np.logical_not(invalid, out=r)
        n_days = np.einsum("ij->i", r).astype(np.int64)
        np.copyto(r, ar)
        np.copyto(r, 0.0, where=invalid)
        car = np.einsum("ij->i", r, out=out.car[part])
        if model == "market":
            np.copyto(m, 0.0, where=invalid)
            m_sum = np.einsum("ij->i", m)
        else:
            m_sum = 0.0
        out.car_var[part] = kernel.car_variance(sig2, k, n, mean_m, sxx, n_days, m_sum)
        out.n_days[part] = n_days
        reason[(reason == _OK) & (n_days == 0)] = _EMPTY
        codes = code[part]
        newly = (codes == _OK) & (reason != _OK)
        if newly.any():
            codes[newly] = reason[newly]
            empty = np.flatnonzero(newly & (reason == _EMPTY))
            for x in out.estimates():
                x[p0 + empty] = np.nan
        none = n_days == 0
        if none.any():
            car[none] = np.nan

    runner.map(chunk, range(0, s.size, chunk_size))
