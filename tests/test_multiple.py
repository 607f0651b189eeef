"""Adjusted p-values for multiple testing (``adjust=``, ``eventstudy run --adjust``): Holm,
Benjamini–Hochberg and Benjamini–Yekutieli on hand-computed vectors, NaN and family handling,
and the families of a study (eventstudy.study.adjusted) checked against the textbook formulas
applied here to the unadjusted result."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from typer.testing import CliRunner

import eventstudy as es
from eventstudy._lazy import Deferred
from eventstudy.cli import app
from eventstudy.inference.multiple import AdjustedTest, adjust_p, check_method
from eventstudy.study.adjusted import adjusted

# --- the textbook formulas, written out (no statsmodels) ----------------------------------------


def holm(p: list[float]) -> list[float]:
    """Holm (1979): sorted ascending, q_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order, start=1):
        running = max(running, min(1.0, (m - rank + 1) * p[i]))
        out[i] = running
    return out


def bh(p: list[float], c: float = 1.0) -> list[float]:
    """Benjamini & Hochberg (1995): q_(i) = min_{j >= i} min(1, c m p_(j) / j); c = 1 (BH) or
    c = sum_{k=1}^m 1/k (Benjamini & Yekutieli 2001)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, c * m * p[i] / rank)
        out[i] = min(1.0, running)
    return out


def by(p: list[float]) -> list[float]:
    return bh(p, sum(1.0 / k for k in range(1, len(p) + 1)))


REFERENCE = {"holm": holm, "bh": bh, "by": by}

# --- known answers -------------------------------------------------------------------------------

P = [0.01, 0.04, 0.03, 0.005]  # m = 4; sorted: 0.005, 0.01, 0.03, 0.04


def test_holm_known_answer() -> None:
    # (m - i + 1) p_(i) = 4(0.005), 3(0.01), 2(0.03), 1(0.04) = 0.02, 0.03, 0.06, 0.04; running
    # max -> 0.02, 0.03, 0.06, 0.06, back in input order
    expected = [3 * 0.01, 2 * 0.03, 2 * 0.03, 4 * 0.005]
    np.testing.assert_allclose(adjust_p(P, "holm"), expected, rtol=1e-12)


def test_bh_known_answer() -> None:
    # m p_(i) / i = 0.02, 0.02, 0.04, 0.04; running min from the largest -> the same
    expected = [4 * 0.01 / 2, 4 * 0.04 / 4, 4 * 0.03 / 3, 4 * 0.005 / 1]
    np.testing.assert_allclose(adjust_p(P, "bh"), expected, rtol=1e-12)
    np.testing.assert_allclose(adjust_p(P, "bh"), [0.02, 0.04, 0.04, 0.02], rtol=1e-12)


def test_by_known_answer() -> None:
    c = 1 + 1 / 2 + 1 / 3 + 1 / 4  # 25/12
    np.testing.assert_allclose(adjust_p(P, "by"), [0.02 * c, 0.04 * c, 0.04 * c, 0.02 * c],
                               rtol=1e-12)
    np.testing.assert_allclose(adjust_p(P, "by"), [1 / 24, 1 / 12, 1 / 12, 1 / 24], rtol=1e-12)


def test_step_up_takes_the_running_minimum_and_caps_at_one() -> None:
    # BH: m p_(i)/i = 3(0.01)/1, 3(0.02)/2, 3(0.5)/3 = 0.03, 0.03, 0.5
    np.testing.assert_allclose(adjust_p([0.5, 0.02, 0.01], "bh"), [0.5, 0.03, 0.03])
    # Holm: 3(0.01), 2(0.02), 1(0.5) = 0.03, 0.04, 0.5; and 2(0.6) capped at 1
    np.testing.assert_allclose(adjust_p([0.5, 0.02, 0.01], "holm"), [0.5, 0.04, 0.03])
    np.testing.assert_allclose(adjust_p([0.6, 0.7], "holm"), [1.0, 1.0])


def test_nan_stays_nan_and_is_out_of_the_family() -> None:
    q = adjust_p([0.01, math.nan, 0.04, 0.03, 0.005], "holm")
    assert math.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2, 3, 4]], adjust_p(P, "holm"))  # m = 4, not 5
    assert np.isnan(adjust_p([math.nan, math.nan], "bh")).all()
    assert adjust_p([], "by").shape == (0,)


def test_families_are_adjusted_each_on_its_own() -> None:
    p = np.array([0.01, 0.2, 0.04, 0.03, 0.005, 0.5, math.nan])
    groups = np.array(["a", "b", "a", "a", "a", "b", "b"], object)
    q = adjust_p(p, "holm", groups)
    np.testing.assert_allclose(q[[0, 2, 3, 4]], holm(P))
    np.testing.assert_allclose(q[[1, 5]], holm([0.2, 0.5]))  # the NaN does not count in b
    assert math.isnan(q[6])
    # one p-value alone is its own adjusted p; any shape, keys of any type
    np.testing.assert_allclose(adjust_p([[0.3, 0.01]], "bh", [[1, 2]]), [[0.3, 0.01]])


def test_method_names() -> None:
    assert check_method("holm") == "holm" and check_method(" BH ") == "bh"
    assert check_method("none") is None and check_method(None) is None
    np.testing.assert_array_equal(adjust_p(P, "none"), P)
    for bad in ("bonferroni", "fdr_bh", "", 1):
        with pytest.raises(es.InputError, match="holm, bh, by"):
            check_method(bad)  # type: ignore[arg-type]
    with pytest.raises(es.EventStudyError):
        adjust_p(P, "hochberg")
    with pytest.raises(es.InputError, match="groups"):
        adjust_p(P, "holm", ["a", "b"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30),
       st.sampled_from(["holm", "bh", "by"]))
def test_adjusted_p_properties(p: list[float], method: str) -> None:
    q = adjust_p(p, method)
    x = np.asarray(p)
    np.testing.assert_allclose(q, REFERENCE[method](p), rtol=1e-9, atol=1e-15)
    assert (q >= x - 1e-15).all() and (q <= 1).all()
    # monotone: a smaller p never gets a larger adjusted p
    order = np.argsort(x, kind="stable")
    assert (np.diff(q[order]) >= -1e-12).all()
    if method == "holm":
        assert (q >= adjust_p(p, "bh") - 1e-12).all()
    if method == "by":
        assert (q >= adjust_p(p, "bh") - 1e-12).all()


# --- the families of a study ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain() -> es.EventStudyResult:
    return es.run("dual-use-ban")


@pytest.fixture(scope="module")
def holm_study() -> es.EventStudyResult:
    return es.run("dual-use-ban", adjust="holm")


def _car_p(result: es.EventStudyResult) -> list[float]:
    return [float(p) for pair in result.pairs for p in pair.car["p"]]


def test_pair_car_p_values_are_holm_over_the_study(plain, holm_study) -> None:
    raw = _car_p(plain)
    assert len(plain.pairs) == 4 and not plain.excluded and len(raw) == 16  # 4 windows x 4
    assert holm_study.adjust == "holm" and plain.adjust is None
    got = [float(q) for pair in holm_study.pairs for q in pair.car["p_adjusted"]]
    np.testing.assert_allclose(got, holm(raw), rtol=1e-12)
    np.testing.assert_allclose(_car_p(holm_study), raw)  # the p-values themselves unchanged
    assert all(q >= p for q, p in zip(got, raw, strict=True))
    assert "(16 p-values)" in holm_study.conventions["p_adjusted"]
    frame = holm_study.car_frame()
    assert list(frame.columns)[-1] == "p_adjusted" and len(frame) == 16
    assert "p_adjusted" not in plain.car_frame()


def test_day_p_values_are_their_own_family(plain, holm_study) -> None:
    raw = [float(p) for pair in plain.pairs for p in pair.days["p"]]
    frame = holm_study.to_frame()
    assert list(frame.columns)[-1] == "p_adjusted"
    np.testing.assert_allclose(frame["p_adjusted"], holm(raw), rtol=1e-12)


def test_aggregate_tests_are_adjusted_across_windows_per_test(plain, holm_study) -> None:
    windows = list(plain.aggregate.car_tests)
    assert len(windows) == 4
    for key in plain.aggregate.car_tests[windows[0]]:
        raw = [plain.aggregate.car_tests[w][key].p for w in windows]
        got = [holm_study.aggregate.car_tests[w][key] for w in windows]
        assert all(isinstance(t, AdjustedTest) for t in got)
        finite = [i for i, p in enumerate(raw) if math.isfinite(p)]
        expected = holm([raw[i] for i in finite])
        np.testing.assert_allclose([got[i].p_adjusted for i in finite], expected, rtol=1e-12)
        assert all(math.isnan(got[i].p_adjusted) for i in range(4) if i not in finite)
    days = holm_study.aggregate.day_tests
    raw = [plain.aggregate.day_tests[t]["csect_t"].p for t in days]
    np.testing.assert_allclose([days[t]["csect_t"].p_adjusted for t in days], holm(raw))


def test_json_carries_the_adjusted_p(holm_study, plain) -> None:
    doc = holm_study.to_dict()
    assert doc["adjust"] == "holm" and plain.to_dict()["adjust"] is None
    car = doc["pairs"][0]["car"][0]
    assert car["p_adjusted"] == pytest.approx(holm_study.pairs[0].car["p_adjusted"].iloc[0])
    test = doc["aggregate"]["car"][0]["tests"]["csect_t"]
    assert test["p_adjusted"] >= test["p"]
    assert "p_adjusted" in doc["conventions"]
    assert "p_adjusted" not in plain.to_dict()["pairs"][0]["car"][0]


def test_excluded_pairs_drop_out_of_the_family() -> None:
    cal = es.load_events()
    n225 = cal.securities["N225"]
    cal = replace(cal, securities={**cal.securities, "N225": replace(
        n225, overrides={**n225.overrides, "min_estimation": 5000})})
    result = es.run("dual-use-ban", events=cal, adjust="bh")
    assert [x.security for x in result.excluded] == ["N225"] and len(result.pairs) == 3
    raw = _car_p(result)
    assert len(raw) == 12
    np.testing.assert_allclose(result.car_frame()["p_adjusted"], bh(raw), rtol=1e-12)


def test_adjusted_result_can_be_readjusted_or_stripped(plain, holm_study) -> None:
    by_study = adjusted(holm_study, "by")
    np.testing.assert_allclose(by_study.car_frame()["p_adjusted"], by(_car_p(plain)))
    stripped = adjusted(holm_study, "none")
    assert stripped.adjust is None and "p_adjusted" not in stripped.car_frame()
    assert stripped.to_json() == plain.to_json()
    assert adjusted(plain, None) is plain


def test_run_event_keeps_the_adjustment_with_its_own_bootstrap() -> None:
    from eventstudy.study.pooled import run_event

    result = run_event("dual-use-ban", bootstrap=50, seed=1, adjust="bh")
    assert result.adjust == "bh" and result.aggregate.bootstrap["n"] == 50
    assert isinstance(result.aggregate.car_tests[(0, 0)]["csect_t"], AdjustedTest)


def test_pooled_pairs_are_one_family_across_events() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = es.run_many(["dual-use-ban", "entity-lists"], bootstrap=0)
        pooled = es.run_many(["dual-use-ban", "entity-lists"], bootstrap=0, adjust="bh")
    raw = [float(p) for _, pair in plain.pairs for p in pair.car["p"]]
    assert len(raw) == 2 * 4 * 4
    np.testing.assert_allclose(pooled.car_frame()["p_adjusted"], bh(raw), rtol=1e-12)
    assert pooled.adjust == "bh" and pooled.to_dict()["adjust"] == "bh"
    windows = list(plain.aggregate.car_tests)
    raw_t = [plain.aggregate.car_tests[w]["patell_z"].p for w in windows]
    np.testing.assert_allclose(
        [pooled.aggregate.car_tests[w]["patell_z"].p_adjusted for w in windows], bh(raw_t))
    # each event's own aggregate: still computed only when read, then adjusted within the event
    first = pooled.results[0]
    assert type(object.__getattribute__(first, "aggregate")) is Deferred
    assert first.adjust == "bh"
    assert isinstance(first.aggregate.car_tests[windows[0]]["csect_t"], AdjustedTest)


def test_unknown_method_is_a_typed_error_before_any_work() -> None:
    with pytest.raises(es.InputError, match="adjust = 'bonferroni'"):
        es.run("no-such-event", adjust="bonferroni")
    with pytest.raises(es.EventStudyError):
        es.run_many(tag="escalation", adjust="fdr")


# --- the CLI -------------------------------------------------------------------------------------


def _cli(*args: str, width: int = 80):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": str(width)})


def test_cli_table_shows_p_adj_within_80_columns() -> None:
    out = _cli("run", "dual-use-ban", "--adjust", "bh")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert sum(" p adj " in line for line in lines) == 4  # one CAR table per pair
    assert "(p-value; adjusted p across the windows)" in out.stdout  # the pooled tests
    assert "Benjamini & Hochberg (1995)" in out.stdout
    plain = _cli("run", "dual-use-ban")
    assert " p adj " not in plain.stdout


def test_cli_json_validates_and_csv_has_the_column() -> None:
    from eventstudy.schema import validate_result

    out = _cli("run", "dual-use-ban", "--adjust", "by", "-f", "json")
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    validate_result(doc)
    assert doc["adjust"] == "by" and all("p_adjusted" in c for p in doc["pairs"]
                                         for c in p["car"])
    csv = _cli("run", "dual-use-ban", "--adjust", "holm", "-f", "csv")
    assert csv.exit_code == 0, csv.stderr
    header = csv.stdout.splitlines()[0].split(",")
    assert header[-1] == "p_adjusted" and header[:-1] == _cli(
        "run", "dual-use-ban", "-f", "csv").stdout.splitlines()[0].split(",")


def test_cli_bad_method_exits_2_with_one_line() -> None:
    out = _cli("run", "dual-use-ban", "--adjust", "bonferroni")
    assert out.exit_code == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "holm, bh, by" in out.stderr
    assert "Traceback" not in out.stderr
    assert _cli("run", "dual-use-ban", "--models", "market,constant-mean", "--adjust",
                "holm").exit_code == 2
