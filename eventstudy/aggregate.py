"""Aggregation over pairs: AAR per event day, CAAR per CAR window, with their tests.

AAR_t = mean_i AR_it over the N_t pairs with an AR on day t; CAAR = mean_i CAR_i over the pairs
with a CAR for the window (CLM 1997, §4.4.3). Pairs are keyed on (event, security): one
security in several events counts once per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eventstudy._typing import Window
from eventstudy.significance import TestResult, csect_t


@dataclass(frozen=True)
class Aggregate:
    """AAR and CAAR over a set of pairs.

    ``days`` is indexed by offset t with columns n, aar; ``car`` is indexed by window with
    columns n, caar. ``day_tests[t]`` and ``car_tests[window]`` map test keys to results.
    """

    n: int
    days: pd.DataFrame
    car: pd.DataFrame
    day_tests: dict[int, dict[str, TestResult]] = field(default_factory=dict)
    car_tests: dict[Window, dict[str, TestResult]] = field(default_factory=dict)
    r_bar: float = float("nan")


def aggregate(ar: pd.DataFrame, car: pd.DataFrame, windows: Sequence[Window]) -> Aggregate:
    """AAR/CAAR over pairs.

    Parameters
    ----------
    ar : pd.DataFrame
        One row per pair, one column per offset t (NaN where the pair has no AR).
    car : pd.DataFrame
        One row per pair, one column per CAR window.
    windows : sequence of (int, int)
        The CAR windows, in the order to report.
    """
    a = ar.to_numpy(float)
    n_t = np.isfinite(a).sum(axis=0)
    with np.errstate(invalid="ignore"):
        aar = np.where(n_t > 0, np.nansum(a, axis=0) / np.maximum(n_t, 1), np.nan)
    days = pd.DataFrame({"n": n_t, "aar": aar}, index=pd.Index(ar.columns, name="t"))
    c = car.reindex(columns=list(windows)).to_numpy(float)
    n_w = np.isfinite(c).sum(axis=0)
    with np.errstate(invalid="ignore"):
        caar = np.where(n_w > 0, np.nansum(c, axis=0) / np.maximum(n_w, 1), np.nan)
    cars = pd.DataFrame({"n": n_w, "caar": caar}, index=pd.Index(list(windows), name="window",
                                                                   tupleize_cols=False))
    day_tests = {int(t): {"csect_t": csect_t(a[:, j])} for j, t in enumerate(ar.columns)}
    car_tests = {tuple(w): {"csect_t": csect_t(c[:, j])} for j, w in enumerate(windows)}
    return Aggregate(len(ar), days, cars, day_tests, car_tests)
