"""The market model with GARCH(1,1) errors as a normal-return model (``model = "garch"``).

R_t = α + β R_mt + ε_t, ε_t | past ~ N(0, h_t), h_t = ω + α₁ ε²_{t−1} + β₁ h_{t−1}, fitted
jointly by maximum likelihood with the ``arch`` package on the estimation sample
(:func:`eventstudy.estimation.garch.fit_market_garch`, whose docstring states the
conventions). Each event-window AR = R − α − β R_m has the variance E_T[h_{T+k}] projected k
sessions after the last estimation return (parameter uncertainty ignored), and a CAR the sum of
its days'. k = 5 parameters; σ̂ is the unconditional σ = sqrt(ω / (1 − α₁ − β₁)).

References
----------
.. [1] Bollerslev, T. (1986) "Generalized autoregressive conditional heteroskedasticity",
   Journal of Econometrics 31(3), 307-327.
.. [2] Savickas, R. (2003) "Event-induced volatility and tests for abnormal performance",
   Journal of Financial Research 26(2), 165-178.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray
from eventstudy.estimation.fit import ModelFit, NormalReturnModel, RowFits


class GarchMarket(NormalReturnModel):
    """The market model with GARCH(1,1) errors (see the module docstring)."""

    name = "garch"
    k = 5

    def fit(self, r: FloatArray, m: FloatArray, start: pd.Timestamp, end: pd.Timestamp,
            n_gaps: int = 0) -> ModelFit:
        from eventstudy.estimation.garch import fit_market_garch

        r, m = np.asarray(r, float), np.asarray(m, float)
        g = fit_market_garch(r, m)
        return ModelFit(model=self.name, k=self.k, alpha=g.alpha, beta=g.beta, sigma=g.sigma,
                        r2=float("nan"), n_obs=r.size, df=r.size - self.k,
                        mean_m=float("nan"), sxx=float("nan"), start=start, end=end,
                        n_gaps=n_gaps, params=g.params, garch=g)

    def fit_rows(self, r: FloatArray, m: FloatArray) -> RowFits:
        raise NotImplementedError("the GARCH model is fitted pair by pair (fit)")


def conditional_variance(fit: ModelFit, t: np.ndarray, t_last: int, span: FloatArray
                         ) -> FloatArray:
    """Var(AR) of event-window returns at offsets ``t``: E_T[h] projected ``t − t_last``
    sessions after the last estimation return, times the sessions each return spans."""
    return fit.garch.projected(np.asarray(t) - t_last) * np.asarray(span, float)
