"""Adjusted p-values for multiple testing: Holm, Benjamini–Hochberg, Benjamini–Yekutieli.

A study that reports 4 CAR windows of 4 securities reads 16 p-values; at the 5 % level one of
them is expected to reject by chance alone when every null holds. The adjusted p-value of a test
is the smallest level at which it rejects under a procedure that controls, over its *family* of
tests, the family-wise error rate (Holm) or the false discovery rate (Benjamini–Hochberg,
Benjamini–Yekutieli). The p-values come from :func:`statsmodels.stats.multitest.multipletests`
("holm", "fdr_bh", "fdr_by").

Conventions
-----------
- A family is a set of p-values with the same group key; :func:`adjust_p` adjusts every family of
  an array in one call.
- A NaN (undefined) p-value stays NaN and is left out of its family: the family size m is the
  number of finite p-values in it.
- Which p-values of a study form a family is the study layer's choice
  (:mod:`eventstudy.study.adjusted`).

References
----------
.. [1] Holm, S. (1979) A simple sequentially rejective multiple test procedure. *Scandinavian
   Journal of Statistics* 6(2), 65–70.
.. [2] Benjamini, Y. and Hochberg, Y. (1995) Controlling the false discovery rate: a practical
   and powerful approach to multiple testing. *Journal of the Royal Statistical Society B*
   57(1), 289–300.
.. [3] Benjamini, Y. and Yekutieli, D. (2001) The control of the false discovery rate in
   multiple testing under dependency. *Annals of Statistics* 29(4), 1165–1188.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import InputError
from eventstudy.inference.significance import TestResult

#: The user-facing methods and the ``multipletests`` method each stands for ("none": no
#: adjustment).
METHODS: dict[str, str | None] = {"none": None, "holm": "holm", "bh": "fdr_bh", "by": "fdr_by"}
#: What each method controls and who it is from, for conventions and notes.
DESCRIPTIONS = {
    "holm": "Holm (1979) step-down, family-wise error rate",
    "bh": "Benjamini & Hochberg (1995), false discovery rate (independent or positively "
          "dependent tests)",
    "by": "Benjamini & Yekutieli (2001), false discovery rate under any dependence",
}
#: The column (frames) and key (JSON) of an adjusted p-value.
P_ADJUSTED = "p_adjusted"


def check_method(method: str | None) -> str | None:
    """The adjustment ``method`` names: "holm", "bh" or "by"; None for None or "none".

    Raises
    ------
    InputError
        Any other value (the CLI exits with status 2 and this one line).
    """
    if method is None:
        return None
    name = method.strip().lower() if isinstance(method, str) else ""
    if name not in METHODS:
        raise InputError(f"adjust = {method!r} is not a multiple-testing adjustment; use one of: "
                         f"{', '.join(METHODS)} (holm: Holm 1979; bh: Benjamini-Hochberg 1995; "
                         "by: Benjamini-Yekutieli 2001)")
    return name if METHODS[name] else None


def adjust_p(p: Any, method: str | None, groups: Any = None) -> np.ndarray:
    """Adjusted p-values of ``p``, each family (equal ``groups`` key) adjusted on its own.

    Parameters
    ----------
    p : array-like of float
        p-values, any shape; NaN marks an undefined test.
    method : {"holm", "bh", "by", "none"} or None
        Holm (1979), Benjamini & Hochberg (1995), Benjamini & Yekutieli (2001); "none" or
        None returns ``p`` unchanged (as floats).
    groups : array-like, optional
        The family of each p-value, the shape of ``p`` (any hashable keys, e.g. a test's name);
        None: all p-values form one family.

    Returns
    -------
    ndarray of float, the shape of ``p``
        The adjusted p-values, in [0, 1] and never below ``p``; NaN where ``p`` is NaN. A
        family's size is its number of finite p-values, NaN being left out of it.

    Raises
    ------
    InputError
        An unknown ``method``, or ``groups`` not the shape of ``p``.
    """
    from statsmodels.stats.multitest import multipletests  # ~1 s to import: only when asked

    name = check_method(method)
    values = np.asarray(p, float)
    if name is None:
        return values.copy()
    flat = values.ravel()
    if groups is None:
        codes = np.zeros(flat.size, int)
    else:
        keys = np.asarray(groups, object)
        if keys.shape != values.shape:
            raise InputError(f"groups has shape {keys.shape}, p {values.shape}: give one "
                             "family key per p-value")
        codes, _ = pd.factorize(pd.Series(keys.ravel(), dtype=object), use_na_sentinel=False)
    out = np.full(flat.size, np.nan)
    ok = np.isfinite(flat)
    order = np.argsort(codes[ok], kind="stable")
    index = np.flatnonzero(ok)[order]  # the finite p-values, family by family
    cuts = np.flatnonzero(np.diff(codes[index])) + 1
    # statsmodels' Holm calls gc.collect() on every family: 65 ms each with a study's objects
    # in memory. Frozen, they are not scanned (the collection sees only the call's own).
    gc.freeze()
    try:
        for family in np.split(index, cuts):
            if family.size:
                out[family] = multipletests(flat[family], method=METHODS[name])[1]
    finally:
        gc.unfreeze()
    return out.reshape(values.shape)


def family_size(p: Any, groups: Any = None) -> dict[Any, int]:
    """The number of finite p-values of each family (``groups`` as :func:`adjust_p`)."""
    values = np.asarray(p, float).ravel()
    keys = np.zeros(values.size, int) if groups is None else np.asarray(groups, object).ravel()
    ok = np.isfinite(values)
    return {k: int(ok[keys == k].sum()) for k in dict.fromkeys(keys.tolist())}


@dataclass(frozen=True)
class AdjustedTest(TestResult):
    """A :class:`TestResult` with its adjusted p-value (``p_adjusted``, NaN where ``p`` is)."""

    __test__ = False  # not a pytest class

    p_adjusted: float = math.nan

    @classmethod
    def of(cls, result: TestResult, p_adjusted: float) -> AdjustedTest:
        """``result`` with ``p_adjusted`` (replacing one it may carry)."""
        return cls(**{f.name: getattr(result, f.name) for f in fields(TestResult)},
                   p_adjusted=float(p_adjusted))


def plain_test(result: TestResult) -> TestResult:
    """``result`` without an adjusted p-value (a plain :class:`TestResult`)."""
    if type(result) is TestResult:
        return result
    return TestResult(**{f.name: getattr(result, f.name) for f in fields(TestResult)})


def p_adj(x: Any) -> dict[str, float | None]:
    """``{"p_adjusted": value}`` (None for NaN) for a JSON entry of ``x``, a frame row or a test
    that carries an adjusted p-value; ``{}`` for one that does not."""
    value = getattr(x, P_ADJUSTED, None)
    if value is None:
        return {}
    value = float(value)
    return {P_ADJUSTED: value if math.isfinite(value) else None}


def adjusted_columns(method: str | None) -> Sequence[str]:
    """The adjusted p-value's column of a tidy frame: ``("p_adjusted",)`` when ``method``
    adjusts, else none."""
    return (P_ADJUSTED,) if method else ()
