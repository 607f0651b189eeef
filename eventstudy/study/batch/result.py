"""The results object of the batch engine, :class:`BatchResult`, and its assembly from the engine's
arrays.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special

from eventstudy import _display, errors
from eventstudy._typing import Window
from eventstudy.errors import EstimationError, InputError
from eventstudy.study.batch import tuning
from eventstudy.study.batch.fit import _Outputs
from eventstudy.study.batch.inputs import _OK, kind_of
from eventstudy.study.batch.runner import _Runner

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from eventstudy.inference.aggregate import Aggregate, PairArrays


@dataclass(frozen=True)
class BatchResult:
    """Abnormal returns of many pairs, indexed like the ``pairs`` frame given to :func:`batch`
    (abnormal log volume for ``measure="volume"``: the same fields, in log points).

    Attributes
    ----------
    ar, se : pd.DataFrame or None
        Abnormal returns and their prediction-error-corrected standard errors; one row per
        pair, one column per offset of ``window`` (int labels). NaN on days without a return
        and on excluded pairs. None when the batch was asked for ``fields="car"``; float32
        when asked for ``paths_dtype="float32"``.
    car, car_se, car_t : pd.Series
        CAR over the whole window (sum of the valid ARs), its standard error and t = CAR / se.
    car_p : pd.Series
        The two-sided p-value of ``car_t`` from Student t with M − k df (computed on first
        access, like the per-day ``t_stat`` and ``p``).
    n_days : pd.Series
        Valid returns in the window (S_n, the days the CAR sums).
    estimation : pd.DataFrame
        alpha, beta, sigma, n_obs (M), df (M − k), mean_m (R̄_m), sxx (S_xx), r2, start and
        end (first and last sessions of the estimation window; start is the first session of
        returns when the window reaches before it). n_obs counts the usable
        returns also for pairs excluded for having too few; the other columns are NaN on
        excluded pairs. The constant mean has alpha = μ̂ and beta NaN; market-adjusted
        α = 0, β = 1.
    excluded : pd.Series
        Indexed like ``pairs``: the reason of each excluded pair, missing (None) for the
        pairs studied; ``result.excluded.dropna()`` lists the excluded ones.
    pairs : pd.DataFrame
        The ``pairs`` frame given to :func:`batch`.
    model : str
    k : int
        Parameters of the model (2 market, 1 constant-mean, 0 market-adjusted).
    estimation_window, window : (int, int)
        The offsets used.
    sessions : {"exchange", "index"}
        What the offsets count: each pair's exchange sessions, or rows of ``returns``.
    returns_kind : {"log", "simple", "level"}
        How returns were combined over several sessions (a return spanning a gap, a
        benchmark read by instant); "level": a volume panel, each value read as it is.
    measure : {"returns", "volume"}
        What was studied ("volume": log(1 + volume), when ``returns_kind`` is "level"); the
        frames of :meth:`car_frame` and :meth:`to_frame` carry it in ``.attrs["measure"]``.
    left_out : int
        Returns of securities dated on days their exchange was closed, left out of their
        pairs' windows (a security with many such returns is excluded instead).
    threads : int
        Threads that computed the result; :attr:`car_p` uses as many.
    """

    ar: pd.DataFrame | None
    se: pd.DataFrame | None
    car: pd.Series
    car_se: pd.Series
    car_t: pd.Series
    n_days: pd.Series
    estimation: pd.DataFrame
    excluded: pd.Series
    pairs: pd.DataFrame
    model: str
    k: int
    estimation_window: Window
    window: Window
    returns: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    threads: int = field(default=1, repr=False, compare=False)
    sessions: str = "exchange"
    returns_kind: str = "log"
    left_out: int = field(default=0, compare=False)

    @property
    def fields(self) -> str:
        """What the result holds: "paths" (everything) or "car" (no ``ar`` and ``se``)."""
        return "car" if self.ar is None else "paths"

    def paths(self, what: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``ar`` and ``se``, or an :class:`~eventstudy.errors.InputError` saying that
        ``what`` needs them and how to ask for them."""
        if self.ar is None or self.se is None:
            raise InputError(f"{what} needs the AR and se of every day, and this batch was "
                             "asked for fields='car' (CARs only); run it with "
                             "fields='paths'")
        return self.ar, self.se

    @property
    def measure(self) -> str:
        """What was studied: "volume" (a panel of log(1 + volume) levels) or "returns"."""
        return "volume" if self.returns_kind == "level" else "returns"

    @cached_property
    def studied(self) -> np.ndarray:
        """Boolean mask over the pairs: True where the pair was studied (not excluded)."""
        return self.excluded.isna().to_numpy()

    @cached_property
    def car_p(self) -> pd.Series:
        """Two-sided p-value of the CAR's t statistic, Student t with M − k df."""
        df = self.estimation["df"].to_numpy(float)
        t = self.car_t.to_numpy()
        p = np.empty(t.size)

        def part(p0: int) -> None:  # elementwise: the same numbers on any thread
            at = slice(p0, p0 + tuning.P_CHUNK)
            x = np.abs(t[at])
            np.negative(x, out=x)
            special.stdtr(np.where(df[at] > 0, df[at], np.nan), x, out=p[at])
            p[at] *= 2.0

        with _Runner(self.threads) as runner:
            runner.map(part, range(0, t.size, tuning.P_CHUNK))
        return pd.Series(p, index=self.car.index, name="car_p", copy=False)

    @cached_property
    def t_stat(self) -> pd.DataFrame:
        """AR / se per day (Student t with M − k df under H0)."""
        ar, se = self.paths("t_stat")
        return ar / se

    @cached_property
    def p(self) -> pd.DataFrame:
        """Two-sided p-value of each day's t statistic, Student t with M − k df."""
        ar, _ = self.paths("p")
        df = self.estimation["df"].to_numpy(float)[:, None]
        p = 2.0 * special.stdtr(df, -np.abs(self.t_stat.to_numpy()))
        return pd.DataFrame(p, index=ar.index, columns=ar.columns)

    def to_frame(self) -> pd.DataFrame:
        """Tidy per-day rows: one per (pair, t) of the studied pairs.

        Columns: pair (the label in ``pairs``' index), security, benchmark, day0, t, ar, se,
        t_stat, p; ``.attrs["measure"]``: :attr:`measure`.
        """
        ar, se = self.paths("to_frame()")
        rows = np.flatnonzero(self.studied)
        n_t = ar.shape[1]
        rep = np.repeat(rows, n_t)
        out = {
            "pair": self.pairs.index.to_numpy()[rep],
            "security": self.pairs["security"].to_numpy()[rep],
            "benchmark": (self.pairs["benchmark"].to_numpy()[rep]
                          if "benchmark" in self.pairs else None),
            "day0": pd.DatetimeIndex(self.pairs["day0"]).to_numpy()[rep],
            "t": np.tile(ar.columns.to_numpy(), rows.size),
        }
        for name, frame in (("ar", ar), ("se", se), ("t_stat", self.t_stat),
                            ("p", self.p)):
            out[name] = frame.to_numpy()[rows].ravel()
        tidy = pd.DataFrame(out)
        tidy.attrs["measure"] = self.measure
        return tidy

    def car_frame(self) -> pd.DataFrame:
        """One row per pair: security, benchmark, day0, car, se, t_stat, p, n_days, and the
        estimation columns; excluded pairs have NaN and their ``reason``;
        ``.attrs["measure"]``: :attr:`measure`."""
        cols = [c for c in ("security", "benchmark", "day0") if c in self.pairs]
        out = self.pairs[cols].copy()
        out["car"] = self.car
        out["se"] = self.car_se
        out["t_stat"] = self.car_t
        out["p"] = self.car_p
        out["n_days"] = self.n_days
        out = out.join(self.estimation)
        out["reason"] = self.excluded
        out.attrs["measure"] = self.measure
        return out

    @cached_property
    def excluded_by_kind(self) -> pd.Series:
        """The excluded pairs counted by kind of reason (the kinds of the
        :class:`~eventstudy.errors.ExcludedPairsWarning`), most frequent first."""
        kinds = [kind_of(str(x)) for x in self.excluded.dropna().to_numpy()]
        counts = pd.Series(kinds, dtype=object).value_counts(sort=True)
        return counts.rename("pairs").rename_axis("reason")

    @property
    def caar(self) -> tuple[int, float]:
        """The studied pairs with a CAR over the whole window, and their mean CAR (the CAAR;
        NaN without any)."""
        car = self.car.to_numpy()[self.studied]
        car = car[np.isfinite(car)]
        return car.size, float(car.mean()) if car.size else float("nan")

    def caar_path(self) -> pd.DataFrame:
        """The running CAAR over the studied pairs, one row per offset t of ``window``.

        Columns: t; n, the pairs with a valid return at or before t; aar, the mean AR of the
        pairs with a return at t; caar, the mean over pairs of their CAR from the window's
        first day to t (the sum of its valid ARs, as :attr:`car` sums them: the last row's
        caar is the mean of ``car`` over the studied pairs, and every row's that of
        ``aggregate(windows=[(window[0], t)])``).
        """
        paths, _ = self.paths("caar_path()")
        ar = paths.to_numpy(np.float64)[self.studied]
        valid = np.isfinite(ar)
        running = np.cumsum(np.where(valid, ar, 0.0), axis=1)
        seen = np.cumsum(valid, axis=1) > 0
        n, n_day = seen.sum(axis=0), valid.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            caar = np.where(seen, running, 0.0).sum(axis=0) / n
            aar = np.where(valid, ar, 0.0).sum(axis=0) / n_day
        return pd.DataFrame({"t": paths.columns.to_numpy(int), "n": n, "aar": aar,
                             "caar": caar})

    def __repr__(self) -> str:
        n, studied = len(self.excluded), int(self.studied.sum())
        lo, hi = self.window
        n_car, mean_car = self.caar
        volume = self.measure == "volume"
        mean = (f"{mean_car:+.3f} log points" if volume else f"{mean_car * 100:+.2f}%")
        caar = f", CA{'AV' if volume else 'AR'}({lo:+d},{hi:+d}) {mean}" if n_car else ""
        what = (" (volume)" if volume else "") + (", CARs only" if self.fields == "car" else "")
        return (f"<BatchResult {self.model} model{what}: {n:,} pairs, {studied:,} studied, "
                f"{n - studied:,} excluded{caar}>")

    def _repr_html_(self) -> str | None:
        return _display.repr_html(self)

    def plot(self, by: str | None = None, *, bootstrap: int = 0, seed: int | None = 0
             ) -> Figure:
        """The CAAR path over the event window, one line per group of ``by`` (a column of
        ``pairs``; None: all studied pairs), its numbers from :meth:`aggregate` over the windows
        (window[0], t); with ``bootstrap`` resamples, each line's percentile band.

        Returns a :class:`matplotlib.figure.Figure` (no pyplot).
        """
        self.paths("plot()")
        return _display.plot(self, by=by, bootstrap=bootstrap, seed=seed)

    def aggregate(self, by: str | None = None, *, windows: Sequence[Window] | None = None,
                  bootstrap: int = 0, seed: int | None = 0,
                  ) -> Aggregate | dict[Hashable, Aggregate]:
        """AAR/CAAR and every test of methods.md over the studied pairs, optionally by group.

        Parameters
        ----------
        by : str or None
            A column of ``pairs`` (e.g. an event type): one aggregate per value. None: one
            aggregate over all studied pairs.
        windows : sequence of (int, int), optional
            CAR windows inside ``window`` (default: the whole window). Each CAR sums the
            window's valid ARs; its variance is the closed form of kernel.py over those days.
        bootstrap, seed : int
            Resamples of the CAAR percentile interval (0: none) and their seed.

        Returns
        -------
        Aggregate, or a dict of them keyed by the values of ``by``.

        Notes
        -----
        The statistics are those of :mod:`eventstudy.inference.aggregate` and
        :mod:`eventstudy.inference.significance` (not re-implemented here), fed with the batch's
        arrays and each pair's estimation-window residuals, re-gathered from ``returns``. Memory per
        group: O(N·(M + C)) floats for N pairs whose estimation windows span C sessions.
        """
        from eventstudy.inference.aggregate import aggregate

        self.paths("aggregate()")
        wins = tuple(tuple(w) for w in (windows or (self.window,)))
        for lo, hi in wins:
            if not self.window[0] <= lo <= hi <= self.window[1]:
                raise EstimationError(f"CAR window {[lo, hi]} is not inside the event window "
                                      f"{list(self.window)}")
        studied = self.studied
        if by is None:
            groups: dict[Hashable, np.ndarray] = {None: np.flatnonzero(studied)}
        else:
            if by not in self.pairs.columns:
                raise InputError(f"pairs has no column {by!r} to group by")
            labels = self.pairs[by].to_numpy()
            groups = {g: np.flatnonzero(studied & (labels == g))
                      for g in pd.unique(labels[studied])}
        out = {g: aggregate(self._pair_arrays(rows, wins, g), bootstrap=bootstrap, seed=seed)
               for g, rows in groups.items()}
        return out[None] if by is None else out

    def _pair_arrays(self, rows: np.ndarray, windows: tuple[Window, ...], group: Hashable
                     ) -> PairArrays:
        """The inputs of :func:`eventstudy.inference.aggregate.aggregate` for the pairs at
        ``rows`` (:func:`eventstudy.study.batch.pooling.pair_arrays`)."""
        from eventstudy.study.batch.pooling import pair_arrays

        return pair_arrays(self, rows, windows, "" if group is None else str(group))


def warn_excluded(result: BatchResult, caller: str) -> None:
    """One :class:`~eventstudy.errors.ExcludedPairsWarning` for what a call left out: the
    excluded pairs (count by reason, how to list them) and the returns dated on days their
    security's exchange was closed (nothing when nothing was left out)."""
    warn_exclusions(caller, len(result.excluded), result.excluded.dropna().to_numpy(),
                    result.left_out, "result.excluded.dropna()", stacklevel=3)


def warn_exclusions(caller: str, total: int, reasons: Iterable[object], left_out: int,
                    listing: str, stacklevel: int = 2) -> None:
    """:func:`warn_excluded` from its parts, for a call whose result is not a BatchResult (a
    dataset the workers wrote, a cluster aggregate): the ``total`` pairs, the excluded ones'
    ``reasons`` (counted by kind), ``left_out`` returns dated on closed days, and ``listing``,
    how to list the excluded pairs; the warning points ``stacklevel`` frames above this."""
    also = (f"{left_out:,} returns dated on days their security's exchange was closed were "
            "left out" if left_out else "")
    errors.warn_excluded(caller, total, [kind_of(str(x)) for x in reasons], listing,
                         stacklevel=stacklevel + 1, also=also)


def _result(out: _Outputs, code: np.ndarray, pairs: pd.DataFrame, est: Window, win: Window,
            model: str, k: int, start: np.ndarray, end: np.ndarray, reasons: np.ndarray,
            returns: pd.DataFrame, threads: int, sessions: str, returns_kind: str,
            left_out: int = 0, paths_dtype: str = "float64") -> BatchResult:
    labels = pairs.index
    offsets = pd.Index(np.arange(win[0], win[1] + 1), name="t")
    car_se = np.sqrt(out.car_var, out=out.car_var)
    df = np.where(code == _OK, out.n_obs - k, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        car_t = out.car / car_se
    estimation = pd.DataFrame({
        "alpha": out.alpha, "beta": out.beta, "sigma": np.sqrt(out.sigma2, out=out.sigma2),
        "n_obs": out.n_obs, "df": np.where(df > 0, df, 0), "mean_m": out.mean_m,
        "sxx": out.sxx, "r2": out.r2, "start": start, "end": end,
    }, index=labels, copy=False)
    ar = se = None  # no paths kept (fields="car")
    if out.ar is not None and out.se is not None:
        ar = pd.DataFrame(out.ar.astype(paths_dtype, copy=False), index=labels,
                          columns=offsets, copy=False)
        se = pd.DataFrame(out.se.astype(paths_dtype, copy=False), index=labels,
                          columns=offsets, copy=False)
    return BatchResult(
        ar=ar, se=se,
        car=pd.Series(out.car, index=labels, name="car", copy=False),
        car_se=pd.Series(car_se, index=labels, name="car_se", copy=False),
        car_t=pd.Series(car_t, index=labels, name="car_t", copy=False),
        n_days=pd.Series(out.n_days, index=labels, name="n_days", copy=False),
        estimation=estimation,
        excluded=pd.Series(reasons, index=labels, name="reason", dtype=object),
        pairs=pairs, model=model, k=k,
        estimation_window=est, window=win, returns=returns, threads=threads,
        sessions=sessions, returns_kind=returns_kind, left_out=left_out,
    )
