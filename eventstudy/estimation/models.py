"""Normal-return models, estimated by OLS on a pair's estimation window.

Model names are picked from a typed string in one place, :func:`get_model`. Each model's
``fit`` estimates once and returns a :class:`ModelFit`, which states ``k`` (parameters) and the
degrees of freedom ``M - k`` explicitly.

Conventions (methods.md): σ̂² divides the sum of squared residuals by M − k (market model
k = 2, constant mean k = 1, market-adjusted k = 0); only single-session returns enter the
estimation sample (returns that span a gap are left out and counted in ``n_gaps``).

The market, constant-mean and market-adjusted models keep the closed forms of methods.md
(k ≤ 2). The design models below carry, in their :class:`ModelFit`, the coefficients ``coef``
and the matrix ``xtx_inv`` of the prediction design z* = [n, x*] so that abnormal.py can use the
general variance V = σ̂²[D + Z*(X'X)⁻¹Z*'] (CLM eq. 4.4.9):

- :class:`MultiFactor` — R = α + Σ_f β_f R_f + ε by OLS, k = 1 + #factors.
- :class:`Dimson` — Dimson's (1979) aggregated-coefficients beta for thin trading: OLS of R_t on
  R_m,t−L … R_m,t+F; β = Σ_j β_j, k = 1 + L + 1 + F.
- :class:`ScholesWilliams` — β = (β₋₁ + β₀ + β₊₁)/(1 + 2ρ̂_m), α = R̄ − β R̄_m, k = 2.

:class:`~eventstudy.estimation.garch_model.GarchMarket` ("garch") is the market model with
GARCH(1,1) errors, fitted by the ``arch`` package; its ARs' variances are the conditional
variances projected over the event window (k = 5).
:class:`~eventstudy.estimation.synthetic.SyntheticControl` ("synthetic") is the demeaned
synthetic control on a donor pool (Abadie, Diamond and Hainmueller 2010), a design fit whose k
is the size of its weights' support.

This module is the registry (:data:`MODELS`, :func:`get_model`); the models live in
:mod:`~eventstudy.estimation.fit` (:class:`ModelFit`, the interface and the closed forms) and
:mod:`~eventstudy.estimation.design` (the design models), and are re-exported here.

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, ch. 4.
.. [2] MacKinlay, A. C. (1997) "Event Studies in Economics and Finance", Journal of Economic
   Literature 35(1), 13-39.
.. [3] Dimson, E. (1979) "Risk measurement when shares are subject to infrequent trading",
   Journal of Financial Economics 7(2), 197-226.
.. [4] Scholes, M. and Williams, J. (1977) "Estimating betas from nonsynchronous data",
   Journal of Financial Economics 5(3), 309-327.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventstudy._typing import MODEL_NAMES
from eventstudy.errors import EstimationError
from eventstudy.estimation.design import DesignModel, Dimson, MultiFactor, ScholesWilliams
from eventstudy.estimation.fit import (
    ZERO_VARIANCE,
    ConstantMean,
    MarketAdjusted,
    MarketModel,
    ModelFit,
    NormalReturnModel,
)
from eventstudy.estimation.garch_model import GarchMarket
from eventstudy.estimation.synthetic import SyntheticControl

__all__ = [
    "MODELS",
    "ZERO_VARIANCE",
    "ConstantMean",
    "DesignModel",
    "Dimson",
    "GarchMarket",
    "MarketAdjusted",
    "MarketModel",
    "ModelFit",
    "MultiFactor",
    "NormalReturnModel",
    "ScholesWilliams",
    "SyntheticControl",
    "get_model",
]

MODELS: dict[str, type[NormalReturnModel]] = {
    cls.name: cls for cls in (
        MarketModel, ConstantMean, MarketAdjusted, MultiFactor, Dimson, ScholesWilliams,
        GarchMarket, SyntheticControl,
    )
}
assert tuple(MODELS) == MODEL_NAMES


def get_model(
    name: str, *, factors: Sequence[str] = (), lags: int = 1, leads: int | None = None,
) -> NormalReturnModel:
    """The model of this name (one of ``MODEL_NAMES``).

    ``factors`` is used by "multi-factor" (and names the donors of "synthetic"), ``lags`` and
    ``leads`` (default: = lags) by "dimson"; the other models ignore them.
    """
    if name == "multi-factor":
        return MultiFactor(factors)
    if name == "synthetic":
        return SyntheticControl(factors)
    if name == "dimson":
        return Dimson(lags, leads)
    try:
        return MODELS[name]()
    except KeyError:
        raise EstimationError(
            f"unknown model '{name}'; choose one of {', '.join(MODELS)}"
        ) from None
