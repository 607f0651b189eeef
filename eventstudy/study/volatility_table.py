"""The volatility tests of a study's pairs as a table and as JSON: each pair's variance ratio
and GARCH event dummy (:mod:`eventstudy.study.volatility_tests`), and the pooled variance ratio
(:func:`eventstudy.inference.volatility.pooled_variance_ratio`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.inference.volatility import pooled_variance_ratio
from eventstudy.schema import json_number as num

VOLATILITY_COLUMNS = ("security", "model", "ratio", "f", "df1", "df2", "p", "delta",
                      "delta_t", "delta_p", "variance_rise", "garch_error")


def volatility_frame(pairs: Sequence[Any]) -> pd.DataFrame:
    """The pairs' volatility tests and the pooled variance ratio (see
    :meth:`EventStudyResult.volatility_frame`)."""
    rows = [{"security": p.security, **volatility_dict(p.volatility)}
            for p in pairs if p.volatility is not None]
    if not rows:
        return pd.DataFrame(columns=list(VOLATILITY_COLUMNS))
    f, df1, df2 = (np.array([r[k] for r in rows], float) for k in ("f", "df1", "df2"))
    stat, dof, p = pooled_variance_ratio(f, df1, df2)
    rows.append({"security": "pooled", "model": rows[0]["model"],
                 "ratio": float(np.nanmean([r["ratio"] for r in rows])), "f": stat,
                 "df1": dof, "df2": np.nan, "p": p})
    return pd.DataFrame(rows, columns=list(VOLATILITY_COLUMNS))


def volatility_dict(v: Any) -> dict[str, Any] | None:
    """A pair's volatility tests for JSON (None for another measure)."""
    if v is None:
        return None
    g = v.garch
    return {"model": v.model, "ratio": num(v.ratio), "f": num(v.f), "df1": v.df1,
            "df2": v.df2, "p": num(v.p), "delta": num(g.delta) if g else None,
            "delta_t": num(g.delta_t) if g else None, "delta_p": num(g.delta_p) if g else None,
            "variance_rise": num(g.ratio) if g else None, "garch_error": v.garch_error or None}
