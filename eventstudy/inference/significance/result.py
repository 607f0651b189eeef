"""What every cross-sectional test returns (:class:`TestResult`, :class:`TestArray`), the papers
they cite, and the array helpers the test families share (see
:mod:`eventstudy.inference.significance` for the array conventions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from eventstudy._typing import FloatArray
from eventstudy.inference.abnormal import two_sided_p

NORMAL = math.inf  # df of a statistic compared with N(0, 1)

REFERENCES = {
    "csect_t": "Brown & Warner (1985)",
    "patell_z": "Patell (1976)",
    "adj_patell_z": "Kolari & Pynnönen (2010)",
    "bmp_t": "Boehmer, Musumeci & Poulsen (1991)",
    "kp_bmp_t": "Kolari & Pynnönen (2010)",
    "cda_t": "Brown & Warner (1980, 1985)",
    "skew_t": "Hall (1992); Lyon, Barber & Tsai (1999)",
    "sign_z": "Brown & Warner (1980)",
    "gsign_z": "Cowan (1992)",
    "rank_z": "Corrado (1989); Corrado & Zivney (1992); Cowan (1992)",
    "grank_t": "Kolari & Pynnönen (2011)",
    "wilcoxon_z": "Wilcoxon (1945)",
    "j1": "Campbell, Lo & MacKinlay (1997)",
    "j2": "Campbell, Lo & MacKinlay (1997)",
    "portfolio_t": "Brown & Warner (1980); Campbell, Lo & MacKinlay (1997) §4.6",
    "savickas_t": "Savickas (2003)",
}


@dataclass(frozen=True)
class TestResult:
    """One test of H0: mean abnormal return = 0.

    Attributes
    ----------
    key : str
        The methods.md key, e.g. "csect_t".
    stat, p : float
        Statistic and two-sided p-value; NaN when undefined.
    dist : str
        The null distribution, e.g. "t(3)" or "N(0,1)".
    reference : str
        The paper the statistic comes from.
    reason : str or None
        Why the test is undefined, when it is.
    """

    __test__ = False  # not a pytest class

    key: str
    stat: float
    p: float
    dist: str
    reference: str
    reason: str | None = None


@dataclass(frozen=True)
class TestArray:
    """Many cross-sections of one test: arrays of statistics, p-values and null df.

    ``df`` is ``inf`` for a statistic compared with N(0, 1); ``reason`` is an object array
    (None where the test is defined) or None when every item is defined. Indexing gives a
    :class:`TestResult`.
    """

    __test__ = False  # not a pytest class

    key: str
    stat: FloatArray
    p: FloatArray
    df: FloatArray
    reference: str
    reason: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.stat.shape

    def __len__(self) -> int:
        return len(self.stat)

    def __getitem__(self, index: Any) -> TestResult:
        df = float(self.df[index])
        reason = None if self.reason is None else self.reason[index]
        return TestResult(self.key, float(self.stat[index]), float(self.p[index]), _dist(df),
                          self.reference, reason)


def _dist(df: float) -> str:
    if math.isinf(df):
        return "N(0,1)"
    if not math.isfinite(df):
        return "t(N-1)"
    return f"t({df:g})"


def _pack(key: str, stat: Any, df: Any, reasons: list[tuple[Any, str | Any]], scalar: bool
          ) -> TestResult | TestArray:
    """Statistic, df and conditions -> result; the first true condition gives the reason."""
    stat = np.asarray(stat, float)
    df = np.broadcast_to(np.asarray(df, float), stat.shape)
    bad = np.zeros(stat.shape, bool)
    reason: Any = None
    for cond, msg in reasons:
        cond = np.broadcast_to(np.asarray(cond, bool), stat.shape) & ~bad
        if cond.any():
            if reason is None:
                reason = np.full(stat.shape, None, dtype=object)
            reason[cond] = np.broadcast_to(np.asarray(msg, dtype=object), stat.shape)[cond]
            bad |= cond
    stat = np.where(bad | ~np.isfinite(stat), np.nan, stat)
    if reason is not None or np.isnan(stat).any():
        if reason is None:
            reason = np.full(stat.shape, None, dtype=object)
        reason[np.isnan(stat) & (reason == None)] = "undefined (no data)"  # noqa: E711
    with np.errstate(invalid="ignore"):
        p = np.where(np.isinf(df), 2.0 * special.ndtr(-np.abs(stat)),
                     two_sided_p(stat, np.where(np.isinf(df), 1.0, df)))
    out = TestArray(key, stat, np.asarray(p, float), df.copy(), REFERENCES[key], reason)
    return out[0] if scalar else out


def _cross(x: Any) -> tuple[FloatArray, bool]:
    """``x`` as ``(..., N, K)``; True when it was one cross-section (1-D)."""
    x = np.asarray(x, float)
    return (x[:, None], True) if x.ndim == 1 else (x, False)


def _per_pair(v: Any, x: FloatArray) -> FloatArray:
    """A per-pair parameter of shape ``(..., N)`` (or scalar) as ``(..., N, 1)``."""
    v = np.asarray(v, float)
    return v if v.ndim == 0 else v[..., None]


def _per_column(v: Any, x: FloatArray) -> FloatArray:
    """A per-study (``(...)``) or per-column (``(..., K)``) parameter, broadcast to ``(..., K)``."""
    v = np.asarray(v, float)
    out_shape = x.shape[:-2] + x.shape[-1:]
    if v.ndim and v.shape == x.shape[:-2] and v.shape != out_shape:
        v = v[..., None]
    return np.broadcast_to(v, out_shape)


def _central(x: FloatArray, third: bool = False) -> tuple[FloatArray, ...]:
    """Count, mean, Σ(x − mean)² and, if ``third``, Σ(x − mean)³ over axis -2, ignoring NaN.

    The sums of a cross-section that :func:`_moments` and the skewness-adjusted t finish, and
    that :mod:`eventstudy.inference.pooled_sums` merges across parts of the pairs.
    """
    ok = np.isfinite(x)
    n = ok.sum(axis=-2)
    x0 = np.where(ok, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = x0.sum(axis=-2) / n
        dev = np.where(ok, x - np.expand_dims(mean, -2), 0.0)
        m2 = (dev**2).sum(axis=-2)
        return (n, mean, m2, (dev**3).sum(axis=-2)) if third else (n, mean, m2)


def _sd(n: FloatArray, m2: FloatArray) -> FloatArray:
    """Sample sd (ddof 1) from a count and a sum of squared deviations."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(m2 / (n - 1))


def _moments(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Count, mean and sample sd (ddof 1) over axis -2, ignoring NaN."""
    n, mean, m2 = _central(x)
    return n, mean, _sd(n, m2)


def _few(n: FloatArray, need: int = 2) -> tuple[FloatArray, Any]:
    return n < need, np.char.add(f"needs N >= {need}, has ", np.asarray(n).astype(int).astype(str))
