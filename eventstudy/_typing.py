"""Type aliases shared across the package."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Offset = int
Window = tuple[int, int]
ReturnKind = Literal["log", "simple", "level"]  # "level": the observable itself
ModelName = Literal[
    "market", "constant-mean", "market-adjusted", "multi-factor", "dimson", "scholes-williams",
    "garch", "synthetic",
]
Timing = Literal["before-open", "intraday", "after-close", "unknown"]

RETURN_KINDS: tuple[str, ...] = ("log", "simple")
# What a study measures: the returns, the trading volume, or the volatility (methods: README).
MEASURES: tuple[str, ...] = ("returns", "volume", "volatility")
# The normal-volume models of a volume study (the others have no meaning for a level).
VOLUME_MODELS: tuple[str, ...] = ("constant-mean", "market", "market-adjusted")
MODEL_NAMES: tuple[str, ...] = (
    "market", "constant-mean", "market-adjusted", "multi-factor", "dimson", "scholes-williams",
    "garch", "synthetic",
)
# Models whose fit carries a general design ((X'X)⁻¹ in prediction coordinates, k > 2 or lags).
DESIGN_MODELS: tuple[str, ...] = ("multi-factor", "dimson", "scholes-williams")
TIMINGS: tuple[str, ...] = ("before-open", "intraday", "after-close", "unknown")
