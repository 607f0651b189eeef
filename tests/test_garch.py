"""GARCH(1,1) market models (eventstudy.estimation.garch): known answers against direct arch
calls, arch's forecast and an independent likelihood maximised by scipy; recovery on a long
simulated series; the event-variance dummy (Savickas 2003): its recursion against arch's GARCH,
nesting, size and power by seeded simulation; errors."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from eventstudy.errors import EstimationError
from eventstudy.estimation.garch import (
    event_garch_process,
    fit_event_variance,
    fit_market_garch,
)

OMEGA, ARCH, GARCH_, A, B = 2e-6, 0.08, 0.9, 2e-4, 1.1  # unconditional sd 1 % a session


def simulate(n: int, seed: int, shift: np.ndarray | None = None, mult: float = 4.0,
             omega: float = OMEGA, a1: float = ARCH, b1: float = GARCH_):
    """A market model with GARCH(1,1) errors; on ``shift`` days the error's variance is
    ``mult`` times the conditional variance (which the recursion carries on unshifted)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(3e-4, 0.01, n)
    z = rng.standard_normal(n)
    e = np.empty(n)
    h_prev, e_prev = omega / (1.0 - a1 - b1), 0.0
    for t in range(n):
        h = omega + a1 * e_prev**2 + b1 * h_prev
        scale = mult if shift is not None and shift[t] else 1.0
        e[t] = math.sqrt(h * scale) * z[t]
        h_prev, e_prev = h, e[t]
    return A + B * m + e, m


def direct_arch(r, m=None):
    from arch import arch_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if m is None:
            return arch_model(100 * r, mean="Constant", vol="GARCH", p=1, q=1,
                              dist="normal").fit(disp="off")
        return arch_model(100 * r, x=100 * m, mean="LS", vol="GARCH", p=1, q=1,
                          dist="normal").fit(disp="off")


def backcast(e: np.ndarray) -> float:
    """arch's backcast, written out: the 0.94-weighted mean of the first 75 squares."""
    w = 0.94 ** np.arange(min(75, e.size))
    return float(np.sum(w * e[: w.size] ** 2) / w.sum())


def loglik(theta, r, m) -> float:
    """The Gaussian GARCH(1,1) log-likelihood of the returns, written independently of arch
    (a plain loop, arch's backcast: from the OLS residuals), θ = (a, b, ω, α1, β1) in return
    units."""
    a, b, omega, a1, b1 = theta
    e = r - a - b * m
    x = np.column_stack([np.ones_like(m), m])
    bc = backcast(r - x @ np.linalg.lstsq(x, r, rcond=None)[0])
    h = np.empty_like(e)
    prev_h, prev_e2 = bc, bc
    for t in range(e.size):
        h[t] = prev_h = omega + a1 * prev_e2 + b1 * prev_h
        prev_e2 = e[t] ** 2
    return float(-0.5 * np.sum(np.log(2 * np.pi * h) + e**2 / h))


@pytest.fixture(scope="module")
def sample():
    return simulate(260, seed=11)


def test_matches_a_direct_arch_call_converted_back(sample):
    r, m = sample
    fit = fit_market_garch(r, m)
    res = direct_arch(r, m)
    p, se = res.params.to_numpy(), res.std_err.to_numpy()
    scale = np.array([100.0, 1.0, 1e4, 1.0, 1.0])  # const, slope, ω, α1, β1
    assert [k for k, _ in fit.params] == ["const", "market", "omega", "alpha[1]", "beta[1]"]
    np.testing.assert_allclose([v for _, v in fit.params], p / scale, rtol=1e-9)
    np.testing.assert_allclose([v for _, v in fit.std_errors], se / scale, rtol=1e-9)
    assert (fit.alpha, fit.beta, fit.omega, fit.arch, fit.garch) == pytest.approx(
        tuple(p / scale), rel=1e-9)
    assert fit.loglik == pytest.approx(res.loglikelihood + 260 * math.log(100), rel=1e-12)
    assert fit.last_resid == pytest.approx(res.resid[-1] / 100, rel=1e-9)
    assert fit.last_variance == pytest.approx(res.conditional_volatility[-1] ** 2 / 1e4,
                                              rel=1e-9)
    assert fit.sigma == pytest.approx(math.sqrt(fit.omega / (1 - fit.arch - fit.garch)))
    assert fit.n_obs == 260


def test_constant_mean_without_benchmark(sample):
    r, _ = sample
    fit = fit_market_garch(r)
    res = direct_arch(r)
    assert math.isnan(fit.beta)
    assert [k for k, _ in fit.params] == ["const", "omega", "alpha[1]", "beta[1]"]
    np.testing.assert_allclose([v for _, v in fit.params],
                               res.params.to_numpy() / [100.0, 1e4, 1.0, 1.0], rtol=1e-9)


def test_loglik_and_optimum_agree_with_an_independent_likelihood(sample):
    """The reported log-likelihood (return units) is the independent Gaussian likelihood at the
    reported parameters, and no optimiser started elsewhere finds a better point."""
    r, m = sample
    fit = fit_market_garch(r, m)
    theta = np.array([v for _, v in fit.params])
    assert loglik(theta, r, m) == pytest.approx(fit.loglik, abs=1e-6)

    unit = np.array([1e-2, 1.0, 1e-4, 1.0, 1.0])  # optimise in percent units, as arch does

    def objective(x):
        a, b, omega, a1, b1 = x * unit
        if omega <= 0 or a1 < 0 or b1 < 0 or a1 + b1 >= 1:
            return 1e10
        return -loglik((a, b, omega, a1, b1), r, m)

    start = np.array([0.0, 1.0, 0.1, 0.05, 0.8])  # not arch's start
    opt = minimize(objective, start, method="Nelder-Mead",
                   options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 20000, "maxfev": 20000})
    assert -opt.fun <= fit.loglik + 1e-3  # arch's optimum is at least as good
    assert -opt.fun >= fit.loglik - 1e-2  # ... and the same optimum
    se = np.array([v for _, v in fit.std_errors])
    assert np.all(np.abs(opt.x * unit - theta) < 0.05 * se)


def test_projection_equals_arch_forecast_and_recursion(sample):
    r, m = sample
    fit = fit_market_garch(r, m)
    res = direct_arch(r, m)
    horizon = 12
    fc = res.forecast(horizon=horizon, x=np.zeros((1, horizon)), reindex=False)
    expected = fc.variance.to_numpy()[-1] / 1e4
    np.testing.assert_allclose(fit.projected(np.arange(1, horizon + 1)), expected, rtol=1e-9)
    h = [fit.omega + fit.arch * fit.last_resid**2 + fit.garch * fit.last_variance]
    for _ in range(horizon - 1):
        h.append(fit.omega + (fit.arch + fit.garch) * h[-1])
    np.testing.assert_allclose(fit.projected([3, 1, 12]), [h[2], h[0], h[11]], rtol=1e-12)
    with pytest.raises(EstimationError, match="integers >= 1"):
        fit.projected([0, 1])
    with pytest.raises(EstimationError, match="integers >= 1"):
        fit.projected([1.5])


def test_recovers_parameters_of_a_long_simulated_series():
    r, m = simulate(3000, seed=3)
    fit = fit_market_garch(r, m)
    se = dict(fit.std_errors)
    truth = {"const": A, "market": B, "omega": OMEGA, "alpha[1]": ARCH, "beta[1]": GARCH_}
    for name, value in fit.params:
        assert abs(value - truth[name]) < 4 * se[name], name
    assert fit.sigma == pytest.approx(0.01, rel=0.2)


def test_errors():
    r, m = simulate(60, seed=1)
    with pytest.raises(EstimationError, match="non-finite"):
        fit_market_garch(np.where(np.arange(60) == 5, np.nan, r), m)
    with pytest.raises(EstimationError, match="non-finite"):
        fit_market_garch(r, np.where(np.arange(60) == 5, np.inf, m))
    with pytest.raises(EstimationError, match="at least 30 estimation returns, got 29"):
        fit_market_garch(r[:29], m[:29])
    with pytest.raises(EstimationError, match="has 59 values"):
        fit_market_garch(r, m[:59])
    with pytest.raises(EstimationError, match="no residual variance"):
        fit_market_garch(0.5 * m + 1e-3, m)


def test_no_convergence_is_an_estimation_error(sample, monkeypatch):
    from arch.univariate.base import ARCHModelResult

    monkeypatch.setattr(ARCHModelResult, "convergence_flag", property(lambda self: 9))
    with pytest.raises(EstimationError, match=r"did not converge on the 260 estimation "
                                              r"returns \(arch: "):
        fit_market_garch(*sample)


def test_importing_the_package_does_not_import_arch():
    code = ("import sys, eventstudy, eventstudy.estimation.garch, eventstudy.inference.volatility;"
            " assert 'arch' not in sys.modules, 'arch imported'")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


# --- the event-variance dummy (Savickas 2003) ------------------------------------------------

def test_event_recursion_equals_arch_garch_when_delta_is_zero():
    from arch.univariate import GARCH

    rng = np.random.default_rng(0)
    e = rng.standard_normal(300) * 1.3
    dummy = (np.arange(300) >= 280).astype(float)
    garch, event = GARCH(1, 0, 1), event_garch_process(dummy)
    bc, bounds = garch.backcast(e), garch.variance_bounds(e)
    assert event.backcast(e) == bc
    for params in ([0.05, 0.08, 0.9], [0.4, 0.2, 0.5], [1e-3, 0.0, 0.999]):
        ours = event.compute_variance(np.array([*params, 0.0]), e, np.empty(300), bc, bounds)
        arch = garch.compute_variance(np.array(params), e, np.empty(300), bc, bounds)
        np.testing.assert_allclose(ours, arch, rtol=1e-12)
    # δ ≠ 0: a hand loop
    omega, a1, b1, delta = 0.05, 0.1, 0.85, 0.7
    ours = event.compute_variance(np.array([omega, a1, b1, delta]), e, np.empty(300), bc, bounds)
    h, prev_h, prev_e2 = np.empty(300), bc, bc
    for t in range(300):
        h[t] = prev_h = omega + a1 * prev_e2 + b1 * prev_h + delta * dummy[t]
        prev_e2 = e[t] ** 2
    np.testing.assert_allclose(ours, h, rtol=1e-12)
    # bounds binding: arch's clipped recursion (lower bound), as arch's GARCH does
    tight = bounds.copy()
    tight[:, 0] = 2.0
    ours = event.compute_variance(np.array([0.05, 0.08, 0.9, 0.0]), e, np.empty(300), bc, tight)
    arch = garch.compute_variance(np.array([0.05, 0.08, 0.9]), e, np.empty(300), bc, tight)
    np.testing.assert_allclose(ours, arch, rtol=1e-12)


EVENT = np.zeros(400)
EVENT[300:310] = 1.0  # 10 event days in 400


def test_event_fit_nests_the_plain_garch_and_matches_a_direct_call():
    from arch.univariate import LS

    for seed in (21, 22, 23):
        r, m = simulate(400, seed=seed, shift=EVENT)
        fit = fit_event_variance(r, m, EVENT)
        plain = fit_market_garch(r, m)
        assert fit.loglik >= plain.loglik - 1e-4
        assert (fit.n_obs, fit.n_event) == (400, 10)
        assert fit.ratio == pytest.approx((fit.omega + fit.delta) / fit.omega)
    model = LS(100 * r, x=np.column_stack([100 * m, EVENT]),
               volatility=event_garch_process(EVENT))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp="off")
    p, se = res.params.to_numpy(), res.std_err.to_numpy()
    assert list(res.params.index[-4:]) == ["omega", "alpha[1]", "beta[1]", "delta"]
    assert fit.delta == pytest.approx(p[6] / 1e4, rel=1e-9)
    assert fit.delta_se == pytest.approx(se[6] / 1e4, rel=1e-9)
    assert fit.delta_p == pytest.approx(math.erfc(abs(p[6] / se[6]) / math.sqrt(2)), rel=1e-9)
    assert fit.mean_shift == pytest.approx(p[2] / 100, rel=1e-9)
    assert fit.mean_shift_t == pytest.approx(p[2] / se[2], rel=1e-9)
    assert (fit.omega, fit.arch, fit.garch) == pytest.approx((p[3] / 1e4, p[4], p[5]), rel=1e-9)
    assert fit.loglik == pytest.approx(res.loglikelihood + 400 * math.log(100), rel=1e-12)


def test_event_fit_without_benchmark():
    """As the volatility tests call it: abnormal returns, no benchmark."""
    r, m = simulate(400, seed=5, shift=EVENT, mult=9.0)
    fit = fit_event_variance(r - A - B * m, None, EVENT)
    assert fit.delta > 0 and fit.n_obs == 400


def test_event_dummy_power_and_size():
    """Variance ×4 on 10 of 400 days: δ > 0 at p < 0.05 in 10 of 20 seeded series (power
    ≈ 50 % measured over 200, robust standard errors; ≈ 76 % for ×9). Without a shift the
    two-sided 5 % test rejects in ≤ 15 % of 40 (measured ≈ 4 % over 200: a loose size check)."""
    power = [fit_event_variance(*simulate(400, seed=100 + s, shift=EVENT), EVENT)
             for s in range(20)]
    assert sum(f.delta > 0 and f.delta_p < 0.05 for f in power) >= 8
    strong = [fit_event_variance(*simulate(400, seed=200 + s, shift=EVENT, mult=9.0), EVENT)
              for s in range(20)]
    assert sum(f.delta > 0 and f.delta_p < 0.05 for f in strong) >= 12
    null = [fit_event_variance(*simulate(400, seed=300 + s), EVENT) for s in range(40)]
    assert sum(f.delta_p < 0.05 for f in null) <= 6
    assert sum(f.delta > 0 and f.delta_p < 0.05 for f in null) <= 3


def test_event_fit_errors():
    r, m = simulate(400, seed=1)
    with pytest.raises(EstimationError, match="only 0 and 1"):
        fit_event_variance(r, m, EVENT * 2)
    with pytest.raises(EstimationError, match="at least one event session"):
        fit_event_variance(r, m, np.zeros(400))
    with pytest.raises(EstimationError, match="event dummy has 399 values"):
        fit_event_variance(r, m, EVENT[:399])
    with pytest.raises(EstimationError, match="non-finite"):
        fit_event_variance(np.where(EVENT > 0, np.nan, r), m, EVENT)
