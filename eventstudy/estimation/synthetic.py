"""The synthetic control as a normal-return model (``model = "synthetic"``).

The pair's normal return is an intercept plus a convex combination of donor returns,

.. math:: R_t = a + \\sum_j w_j R_{jt} + \\varepsilon_t, \\quad w_j \\ge 0, \\quad \\sum_j w_j = 1,

fitted by least squares over the estimation sample: the demeaned synthetic control (Doudchenko
and Imbens 2016; Ferman and Pinto 2021), whose intercept absorbs a level difference between the
pair and its synthetic twin, as the market model's α does. With the intercept profiled out the
weights solve the quadratic programme min ½ w'Gw − b'w over the simplex, with G = X̃'X̃ and
b = X̃'r̃ on the demeaned returns (:func:`simplex_weights`: scipy's NNLS with the constraint as
a penalty, or SLSQP, finds the support; the KKT system of that support is then solved exactly,
so the weights are exact to rounding).

Inference by placebos in space (Abadie, Diamond and Hainmueller 2010) refits the model with
each donor as the treated unit; :func:`unit_weights` fits every unit of a pool from one Gram
matrix of the whole pool (one product over the estimation sample), so the placebo fits cost
the small quadratic programmes only (:mod:`eventstudy.inference.placebo` ranks them).

The parametric statistics are conditional on the support S of the weights (the donors with
w > 0): there the constrained fit is the OLS of R − R_s on [1, R_j − R_s] (j ∈ S, s the last
donor of S), so k = |S| parameters (the intercept and |S| − 1 free weights), σ̂² = SSR/(M − k),
and the prediction-error variance is CLM's general form (eq. 4.4.9) with that design's
(X'X)⁻¹, carried in ``ModelFit.xtx_inv`` in the coordinates z* = [n, R_1 … R_J]. It ignores
the uncertainty of the support itself; the placebo p-values do not rest on it.

References
----------
.. [1] Abadie, A., Diamond, A. and Hainmueller, J. (2010) "Synthetic control methods for
   comparative case studies", Journal of the American Statistical Association 105(490),
   493-505.
.. [2] Acemoglu, D., Johnson, S., Kermani, A., Kwak, J. and Mitton, T. (2016) "The value of
   connections in turbulent times: evidence from the United States", Journal of Financial
   Economics 121(2), 368-391.
.. [3] Doudchenko, N. and Imbens, G. (2016) "Balancing, regression, difference-in-differences
   and synthetic control methods: a synthesis", NBER Working Paper 22791.
.. [4] Ferman, B. and Pinto, C. (2021) "Synthetic controls with imperfect pretreatment fit",
   Quantitative Economics 12(4), 1197-1221.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray
from eventstudy.errors import EstimationError
from eventstudy.estimation.design import DesignModel
from eventstudy.estimation.fit import ZERO_VARIANCE, ModelFit

#: Fewer donors exclude the pair: with J donors the smallest placebo p-value is 1/(J + 1), and
#: 9 donors let it reach 0.1.
MIN_DONORS = 9
_SUPPORT = 1e-9  # a weight below this share of the largest counts as zero
_PENALTY = 1e6  # c² of the Σw = 1 penalty, on G scaled to a unit mean diagonal


def simplex_weights(gram: FloatArray, cross: FloatArray) -> FloatArray:
    """w ≥ 0, Σw = 1 minimising ½ w'Gw − b'w (``gram`` G, ``cross`` b; J × J and J).

    The support (the donors with w > 0) is found by scipy's non-negative least squares
    (Lawson and Hanson's active set, ``scipy.optimize.nnls``) with Σw = 1 as a heavily weighted
    penalty (on the Cholesky factor of G + c²11'); the equality-constrained problem on that
    support is then solved exactly from its KKT system and kept when it is feasible and optimal
    (every weight ≥ 0, no gradient below the multiplier off the support). When it is not (a
    singular G, a support the penalty missed), scipy's SLSQP on the constrained problem finds
    the support instead, polished the same way. Raises :class:`EstimationError` when SLSQP fails.
    """
    g = np.asarray(gram, float)
    b = np.asarray(cross, float)
    j = b.size
    if j == 1:
        return np.ones(1)
    scale = float(np.trace(g)) / j or 1.0  # a well-scaled problem for the solvers' tolerances
    gs, bs = g / scale, b / scale
    for find in (_penalised_nnls, _slsqp):
        w = find(gs, bs)
        if w is None or not w.max() > 0:
            continue
        exact = _on_support(gs, bs, w > _SUPPORT * w.max())
        if exact is not None:
            return exact
    if w is None or not np.isfinite(w).all():
        raise EstimationError("the synthetic-control weights cannot be solved")
    return w / w.sum()


def _penalised_nnls(g: FloatArray, b: FloatArray) -> FloatArray | None:
    """min ½w'Gw − b'w + ½c²(Σw − 1)² over w ≥ 0 by NNLS: H = G + c²11' = LL', so the objective
    is ½‖L'w − L⁻¹(b + c²1)‖² up to a constant. None when H is not positive definite."""
    from scipy.linalg import cho_factor, solve_triangular
    from scipy.optimize import nnls

    h = g + _PENALTY
    try:
        low, _ = cho_factor(h, lower=True)
    except np.linalg.LinAlgError:
        return None
    low = np.tril(low)
    w, _ = nnls(low.T, solve_triangular(low, b + _PENALTY, lower=True))
    return w


def _slsqp(g: FloatArray, b: FloatArray) -> FloatArray | None:
    """The constrained problem by scipy's SLSQP (None when it does not give finite weights)."""
    from scipy.optimize import minimize

    j = b.size
    found = minimize(
        lambda w: 0.5 * w @ g @ w - b @ w, np.full(j, 1.0 / j), jac=lambda w: g @ w - b,
        method="SLSQP", bounds=[(0.0, None)] * j,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                      "jac": lambda w: np.ones_like(w)}],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    return np.clip(found.x, 0.0, None) if np.isfinite(found.x).all() else None


def _on_support(g: FloatArray, b: FloatArray, support: np.ndarray) -> FloatArray | None:
    """The exact minimiser with the weights off ``support`` at zero, when it is the optimum."""
    s = np.flatnonzero(support)
    kkt = np.zeros((s.size + 1, s.size + 1))
    kkt[:-1, :-1] = g[np.ix_(s, s)]
    kkt[:-1, -1] = kkt[-1, :-1] = 1.0
    try:
        sol = np.linalg.solve(kkt, np.append(b[s], 1.0))
    except np.linalg.LinAlgError:
        return None
    w = np.zeros(b.size)
    w[s] = sol[:-1]
    grad = g @ w - b  # KKT: grad_j = −λ on the support, ≥ −λ off it
    tol = 1e-10 * max(1.0, float(np.abs(grad).max()))
    if (w[s] < 0).any() or (grad[~support] < -sol[-1] - tol).any():
        return None
    return w


def unit_weights(y: FloatArray, pools: Sequence[np.ndarray]) -> FloatArray:
    """The synthetic-control weights of every unit of ``y`` (M × U returns) on its pool.

    ``pools[u]`` lists the columns unit u may draw on. Returns U × U weights (row u: unit u's
    weights, zero outside its pool); one Gram matrix of the demeaned returns serves every fit.
    """
    yc = np.asarray(y, float) - np.asarray(y, float).mean(axis=0)
    gram = yc.T @ yc
    w = np.zeros((yc.shape[1], yc.shape[1]))
    for u, pool in enumerate(pools):
        pool = np.asarray(pool, int)
        w[u, pool] = simplex_weights(gram[np.ix_(pool, pool)], gram[pool, u])
    return w


class SyntheticControl(DesignModel):
    """The demeaned synthetic control (see the module docstring); ``donors`` name the columns."""

    name = "synthetic"
    needs_benchmark = False

    def __init__(self, donors: Sequence[str] = ()) -> None:
        self.factors = tuple(donors)
        if not self.factors:
            raise EstimationError("the synthetic control needs donors")
        self.k = 1  # the least it can be; the fit states its own k (the support's size)

    def fit(  # type: ignore[override]
        self, r: FloatArray, x: FloatArray, start: pd.Timestamp, end: pd.Timestamp,
        n_gaps: int = 0, weights: FloatArray | None = None,
    ) -> ModelFit:
        """Fit on single-session returns ``r`` (M) and donor returns ``x`` (M × J); pass
        ``weights`` already solved (a row of :func:`unit_weights`) to skip the programme."""
        r = np.asarray(r, float)
        x = np.asarray(x, float).reshape(r.size, -1)
        if not (np.isfinite(r).all() and np.isfinite(x).all()):
            raise EstimationError(
                "estimation returns hold NaN or infinite values; pass finite returns only")
        w = unit_weights(np.column_stack([r, x]), [np.arange(1, x.shape[1] + 1)])[0, 1:] if (
            weights is None) else np.asarray(weights, float)
        support = np.flatnonzero(w > 0)
        k = support.size
        n = r.size
        if n - k < 2:
            raise EstimationError(f"{n} estimation returns for {k} synthetic-control "
                                  "parameters; the synthetic control cannot be estimated")
        alpha = float(r.mean() - x.mean(axis=0) @ w)
        resid = r - alpha - x @ w
        ssr = float(resid @ resid)
        dr = r - r.mean()
        if ssr / n <= ZERO_VARIANCE * (float(np.mean(r * r)) or 1.0) or ssr == 0.0:
            raise EstimationError("residuals have zero variance in the estimation window (the "
                                  "security is a combination of its donors)")
        last = support[-1]
        design = np.column_stack([np.ones(n), x[:, support[:-1]] - x[:, [last]]])
        xtx = design.T @ design
        if np.linalg.cond(xtx) > 1e12:
            raise EstimationError("the donors of the synthetic control's support are "
                                  "collinear in the estimation window")
        # z = A z*: the support's design rows from the prediction rows [n, R_1 … R_J]
        a = np.zeros((k, 1 + x.shape[1]))
        a[0, 0] = 1.0
        a[np.arange(1, k), 1 + support[:-1]] = 1.0
        a[1:, 1 + last] = -1.0
        coef = (alpha, *map(float, w))
        names = ("alpha", *(f"w[{self.factors[j]}]" for j in support))
        return ModelFit(
            model=self.name, k=k, alpha=alpha, beta=float("nan"),
            sigma=float(np.sqrt(ssr / (n - k))), r2=1.0 - ssr / float(dr @ dr), n_obs=n,
            df=n - k, mean_m=float("nan"), sxx=float("nan"), start=start, end=end,
            n_gaps=n_gaps, coef=coef, xtx_inv=a.T @ np.linalg.inv(xtx) @ a,
            regressors=self.factors,
            params=tuple(zip(names, (alpha, *map(float, w[support])), strict=True)),
        )
