"""The result objects in a notebook: a compact HTML view (their ``_repr_html_``) and ``summary()``.

Registered in :mod:`eventstudy._display` when imported (by :mod:`eventstudy.present`). Reads the
results' fields and computes no statistic; numbers are written as the terminal writes them
(:mod:`eventstudy.present.common`). Long lists are cut at :data:`MAX_ROWS` rows, with a line
saying how many more there are and where to find them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from html import escape
from io import StringIO
from typing import Any

from rich.console import Console

from eventstudy import _display
from eventstudy.events import Event
from eventstudy.inference.aggregate import ALL_TESTS as TEST_ORDER
from eventstudy.inference.aggregate import ROBUST_TO_CROSS_CORRELATION, Aggregate
from eventstudy.present.cells import CELLS, UNITS
from eventstudy.present.common import (
    exchange_label,
    fnum,
    fp,
    stars,
    stars_legend,
    window_text,
)
from eventstudy.present.synthetic_lines import placebo_lines, synthetic_fit
from eventstudy.study.batch.result import BatchResult
from eventstudy.study.pooled import PooledResult
from eventstudy.study.results import EventStudyResult, PairResult

#: Rows of pairs (or events, or excluded pairs) shown before "… and N more".
MAX_ROWS = 30
#: Offsets of a batch's CAAR preview shown at most.
MAX_OFFSETS = 25
#: Width of the terminal rendering that ``summary()`` shows, as :func:`terminal.plain_text`.
WIDTH = 120

_CSS = ("<style>.es-nb table{border-collapse:collapse;margin:.2em 0 .6em}"
        ".es-nb th,.es-nb td{padding:1px 7px;text-align:right;white-space:nowrap}"
        ".es-nb .l{text-align:left}.es-nb .pos{color:#1a7f37}.es-nb .neg{color:#cf222e}"
        ".es-nb .st{color:#9a6700;font-weight:bold}.es-nb .dim{color:#6e7781}"
        ".es-nb .hl td{font-weight:bold}.es-nb p{margin:.2em 0}</style>")
_PRE = ("<pre class=\"{scope}\" style=\"white-space:pre;overflow-x:auto;line-height:normal;"
        "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>")


# --- cells ---------------------------------------------------------------------------------------


def _pct(x: float, signed: bool = True, measure: str = "returns") -> str:
    """A value in its measure's unit (a return in %, log volume in log points, a variance
    in %²), its sign coloured."""
    text = CELLS[measure](x, 2, signed).plain
    cls = "pos" if signed and text.startswith("+") else "neg" if signed and text[0] == "-" else ""
    return f'<span class="{cls}">{text}</span>' if cls else text


def _stars(p: float) -> str:
    mark = stars(p)
    return f'<span class="st">{mark}</span>' if mark else ""


def _cell(value: str, left: bool = False, attrs: str = "") -> str:
    return f'<td{" class=l" if left else ""}{attrs}>{value}</td>'


def _table(head: Sequence[str], rows: Iterable[str], left: int = 1) -> str:
    cells = "".join(f'<th{" class=l" if i < left else ""}>{escape(h)}</th>'
                    for i, h in enumerate(head))
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _more(shown: int, total: int, what: str, where: str) -> str:
    return (f'<p class="dim">… and {total - shown:,} more {what}: {where}</p>'
            if total > shown else "")


def _wrap(*parts: str, legend: bool = True) -> str:
    end = f'<p class="dim">{escape(stars_legend())}</p>' if legend else ""
    return f'<div class="es-nb">{_CSS}{"".join(parts)}{end}</div>'


# --- parts ---------------------------------------------------------------------------------------


def _event_line(event: Event, pairs: Sequence[PairResult]) -> str:
    timing = "" if hasattr(event.announced, "hour") else f" ({escape(event.timing)})"
    day0 = ", ".join(sorted({p.day0.date().isoformat() for p in pairs})) or "–"
    facts = [f"announced {escape(event.announced_text)}{timing}", f"day 0 {day0}"]
    if event.tags:
        facts.append(f"tags: {escape(', '.join(event.tags))}")
    facts.append(f"headline CAR{window_text(event.headline)}")
    return (f"<p><b>{escape(event.id)}</b> — {escape(event.title)}</p>"
            f'<p class="dim">{" · ".join(facts)}</p>')


def _what(p: PairResult) -> str:
    """What the pair's values are: its returns, or the measure's unit."""
    return f"{p.returns} returns" if p.measure == "returns" else UNITS[p.measure]


def _security(p: PairResult) -> str:
    proxy = " (proxy)" if p.proxy else ""
    return (f'<b title="{escape(p.name)}">{escape(p.security)}</b>{proxy} '
            f'<span class="dim">{escape(p.ticker)}, {escape(exchange_label(p.exchange))}</span>')


def _car_cells(row: Any, measure: str = "returns") -> str:
    return "".join((_cell(_pct(row.car, measure=measure)),
                    _cell(_pct(row.se, signed=False, measure=measure)),
                    _cell(fnum(row.t_stat)), _cell(escape(fp(row.p))),
                    _cell(_stars(row.p), left=True), _adj_cell(row)))


def _adj_cell(row: Any) -> str:
    """The adjusted p-value's cell when the study adjusts (``p_adjusted``), else nothing."""
    value = getattr(row, "p_adjusted", None)
    return "" if value is None else _cell(escape(fp(value)))


def _adj_head(adjust: Any) -> tuple[str, ...]:
    return ("p adj",) if adjust else ()


def _headline(p: PairResult) -> Any:
    rows = [r for r in p.car.itertuples(index=False) if tuple(r.window) == tuple(p.headline)]
    return rows[0] if rows else None


def _pairs_cars(result: EventStudyResult) -> str:
    """One row per (pair, CAR window), the headline window in bold with ◀."""
    rows = []
    shown = result.pairs[:MAX_ROWS]
    for p in shown:
        windows = list(p.car.itertuples(index=False))
        for i, row in enumerate(windows):
            head = tuple(row.window) == tuple(p.headline)
            first = (_cell(_security(p), True, f" rowspan={len(windows)}")
                     + _cell(str(p.day0.date()), True, f" rowspan={len(windows)}")
                     if i == 0 else "")
            rows.append(f'<tr{" class=hl" if head else ""}>{first}'
                        + _cell(window_text(row.window) + (" ◀" if head else ""), True)
                        + _car_cells(row, p.measure) + "</tr>")
    return (_table(("security", "day 0", "window", "CAR", "se", "t", "p", "",
                    *_adj_head(result.adjust)), rows, left=3)
            + _more(len(shown), len(result.pairs), "pairs", "<code>.car_frame()</code>"))


def _aggregate(agg: Aggregate, title: str, measure: str = "returns") -> str:
    """The CAR-window tests: N, CAAR, its bootstrap interval, then one row per test."""
    windows = [tuple(w) for w in agg.car.index]
    rows = [f"<tr>{_cell('N', True)}"
            + "".join(_cell(str(int(n))) for n in agg.car["n"]) + "</tr>",
            f"<tr>{_cell('CAAR', True)}"
            + "".join(_cell(_pct(x, measure=measure)) for x in agg.car["caar"]) + "</tr>"]
    if "ci_low" in agg.car and int(agg.bootstrap.get("n", 0)):
        level = agg.bootstrap.get("level", 0.95)
        rows.append(f"<tr>{_cell(f'{level:.0%} CI', True)}" + "".join(
            _cell(f"[{fnum(lo * 100)}, {fnum(hi * 100)}]%" if measure == "returns" else
                  f"[{_pct(lo, measure=measure)}, {_pct(hi, measure=measure)}]")
            for lo, hi in zip(agg.car["ci_low"], agg.car["ci_high"], strict=True)) + "</tr>")
    robust = set(ROBUST_TO_CROSS_CORRELATION)
    for key in (k for k in TEST_ORDER if any(k in v for v in agg.car_tests.values())):
        cells = []
        for w in windows:
            r = agg.car_tests[w].get(key)
            cells.append(_cell("–" if r is None else
                               f"{fnum(r.stat)} ({escape(fp(r.p))}"
                               + (f"; {escape(fp(r.p_adjusted))}" if hasattr(r, "p_adjusted")
                                  else "") + f"){_stars(r.p)}"))
        rows.append(f"<tr>{_cell(key + (' †' if key in robust else ''), True)}"
                    + "".join(cells) + "</tr>")
    note = ("† robust to cross-correlation. Day-level tests: <code>.tests_frame()</code>; "
            "everything: <code>.summary()</code>")
    if any(hasattr(r, "p_adjusted") for v in agg.car_tests.values() for r in v.values()):
        note += ". In brackets: p; p adjusted across the windows (stars: unadjusted p)"
    return (f"<p><b>{escape(title)}</b></p>"
            + _table(("window", *(window_text(w) for w in windows)), rows)
            + f'<p class="dim">{note}</p>')


def _excluded(items: Sequence[tuple[str, Any]]) -> str:
    if not items:
        return ""
    rows = [f"<tr>{_cell(escape(e), True)}{_cell(escape(x.security), True)}"
            f"{_cell(escape(x.reason), True)}</tr>" for e, x in items[:MAX_ROWS]]
    return ("<p><b>Excluded pairs</b></p>"
            + _table(("event", "security", "reason"), rows, left=3)
            + _more(min(len(items), MAX_ROWS), len(items), "excluded pairs",
                    "<code>.excluded</code>"))


# --- the views -----------------------------------------------------------------------------------


def study_html(result: EventStudyResult) -> str:
    """An event study: the event, each pair's CARs (se, t, p, stars), the pooled tests."""
    parts = [_event_line(result.event, result.pairs)]
    if result.pairs:
        parts.append(_pairs_cars(result))
    if result.aggregate is not None and len(result.pairs) > 1:
        parts.append(_aggregate(result.aggregate, f"Aggregate over {result.aggregate.n} pairs",
                                result.measure))
    parts.append(_excluded([(result.event.id, x) for x in result.excluded]))
    return _wrap(*parts)


def pair_html(pair: PairResult) -> str:
    """One pair: security, day 0 and why, the model, AR(0), its CAR windows."""
    fit = pair.estimation
    model = f"{pair.model} model" + (f" on {pair.benchmark}" if pair.benchmark else "")
    day0 = pair.days[pair.days["t"] == 0]
    ar0 = ""
    if len(day0):
        d = day0.iloc[0]
        ar0 = (f" · AR(0) {_pct(d.ar, measure=pair.measure)} (t {fnum(d.t_stat)}, "
               f"p {escape(fp(d.p))})"
               f"{_stars(d.p)}")
    rows = []
    for row in pair.car.itertuples(index=False):
        head = tuple(row.window) == tuple(pair.headline)
        rows.append(f'<tr{" class=hl" if head else ""}>'
                    + _cell(window_text(row.window) + (" ◀" if head else ""), True)
                    + _cell(f"{row.start.date()}..{row.end.date()}", True)
                    + _car_cells(row, pair.measure)
                    + _cell(_pct(row.bhar, measure=pair.measure)) + "</tr>")
    return _wrap(
        f"<p>{_security(pair)} — {escape(pair.name)}</p>",
        f'<p class="dim">{escape(pair.day0_reason)}</p>',
        f'<p class="dim">{escape(model)}, {escape(_what(pair))}; estimation '
        f"{fit.start.date()}..{fit.end.date()}, M = {fit.n_obs}{ar0}</p>",
        *_synthetic(fit),
        _table(("window", "dates", "CAR", "se", "t", "p", "",
                *_adj_head("p_adjusted" in pair.car), "BHAR"), rows, left=2))


def _synthetic(fit: Any) -> tuple[str, ...]:
    """A synthetic-control pair's weights and placebo p-values (none for another model)."""
    if fit.synthetic is None:
        return ()
    return tuple(f'<p class="dim">{escape(line)}</p>'
                 for text in (synthetic_fit(fit), placebo_lines(fit))
                 for line in text.splitlines())


def pooled_html(pooled: PooledResult) -> str:
    """A pooled run: its events, each pair's headline CAR, the pooled tests."""
    what = f" (tag '{escape(pooled.tag)}')" if pooled.tag else ""
    n_pairs = {r.event.id: len(r.pairs) for r in pooled.results}
    events = [f"<tr>{_cell(escape(e.id), True)}{_cell(escape(e.announced_text), True)}"
              f"{_cell(str(n_pairs.get(e.id, 0)))}{_cell(escape(e.title), True)}</tr>"
              for e in pooled.events[:MAX_ROWS]]
    pairs = []
    for eid, p in pooled.pairs[:MAX_ROWS]:
        row = _headline(p)
        cells = (_car_cells(row, p.measure) if row is not None else
                 _cell("–") * 4 + _cell("", True) + _cell("–") * bool(pooled.adjust))
        pairs.append(f"<tr>{_cell(escape(eid), True)}{_cell(_security(p), True)}"
                     f"{_cell(str(p.day0.date()), True)}"
                     f"{_cell(window_text(p.headline), True)}{cells}</tr>")
    return _wrap(
        f"<p><b>Pooled study of {len(pooled.results)} events</b>{what}: "
        f"{len(pooled.pairs)} pairs, {len(pooled.excluded)} excluded</p>",
        _table(("event", "announced", "pairs", "title"), events, left=2),
        _more(len(events), len(pooled.events), "events", "<code>.events</code>"),
        _table(("event", "security", "day 0", "window", "CAR", "se", "t", "p", "",
                *_adj_head(pooled.adjust)), pairs, left=4),
        _more(len(pairs), len(pooled.pairs), "pairs", "<code>.car_frame()</code>"),
        _aggregate(pooled.aggregate, f"Pooled aggregate over {pooled.aggregate.n} pairs",
                   pooled.results[0].measure),
        _excluded(pooled.excluded))


def batch_html(result: BatchResult) -> str:
    """A batch: its settings, counts, exclusions by reason and a preview of the CAAR path."""
    n, studied = len(result.excluded), int(result.studied.sum())
    counts = _table(("pairs", "studied", "excluded"),
                    [f"<tr>{_cell(f'{n:,}')}{_cell(f'{studied:,}')}"
                     f"{_cell(f'{n - studied:,}')}</tr>"], left=0)
    kinds = result.excluded_by_kind
    reasons = (_table(("reason", "pairs"), [f"<tr>{_cell(escape(str(k)), True)}"
                                            f"{_cell(f'{int(c):,}')}</tr>"
                                            for k, c in kinds.items()])
               + '<p class="dim">each pair\'s reason: <code>.excluded.dropna()</code></p>'
               if len(kinds) else "")
    if result.fields == "car":  # no per-day paths: the CAAR of the whole window only
        return _wrap(_batch_heading(result), counts, reasons, _car_only(result) if studied
                     else "", legend=False)
    path = result.caar_path()
    if len(path) > MAX_OFFSETS:  # evenly spaced offsets, day 0 and both ends among them
        step = -(-len(path) // MAX_OFFSETS)
        keep = set(range(0, len(path), step)) | {len(path) - 1}
        keep |= set(path.index[path["t"] == 0])
        path = path.loc[sorted(keep)]
    rows = [f"<tr>{_cell('N', True)}" + "".join(_cell(f"{int(x):,}") for x in path["n"])
            + "</tr>",
            f"<tr>{_cell('AAR', True)}" + "".join(_cell(_pct(x, measure=result.measure))
                                                   for x in path["aar"]) + "</tr>",
            f"<tr>{_cell('CAAR', True)}" + "".join(_cell(_pct(x, measure=result.measure))
                                                    for x in path["caar"]) + "</tr>"]
    preview = ("<p><b>CAAR over the studied pairs</b></p>"
               + _table(("t", *(f"{int(t):+d}" for t in path["t"])), rows)
               + '<p class="dim">tests, by group: <code>.aggregate(by=...)</code>; figure: '
               "<code>.plot(by=...)</code>; per pair: <code>.car_frame()</code></p>")
    return _wrap(_batch_heading(result), counts, reasons, preview if studied else "",
                 legend=False)


def _batch_heading(result: BatchResult) -> str:
    est, win = result.estimation_window, result.window
    what = (f"{result.returns_kind} returns" if result.measure == "returns" else
            UNITS[result.measure])
    only = ", CARs only (fields='car')" if result.fields == "car" else ""
    return (f"<p><b>BatchResult</b>: {escape(result.model)} model, estimation "
            f"{window_text(est)}, event window {window_text(win)} ({escape(result.sessions)} "
            f"sessions, {escape(what)}{only})</p>")


def _car_only(result: BatchResult) -> str:
    """The mean CAR of the whole window over the studied pairs (a batch without paths)."""
    n, caar = result.caar
    lo, hi = result.window
    row = f"<tr>{_cell(f'{n:,}')}{_cell(_pct(caar, measure=result.measure))}</tr>"
    return (f"<p><b>CAAR({lo:+d},{hi:+d}) over the studied pairs</b></p>"
            + _table(("N", "CAAR"), [row])
            + '<p class="dim">per pair: <code>.car_frame()</code>; paths and tests: '
            "<code>batch(..., fields='paths')</code></p>")


def summary_bundle(result: object, include: Collection[str] | None = None) -> dict[str, str]:
    """The terminal rendering of ``result`` as plain text and as HTML (``include``: which).

    Drawn on a console that never writes to a notebook itself (rich's Jupyter mode would), at
    the width of :func:`eventstudy.present.terminal.plain_text`.
    """
    out: dict[str, str] = {}
    if include is None or "text/plain" in include:
        buffer = StringIO()
        Console(file=buffer, width=WIDTH, color_system=None, force_jupyter=False).print(
            _display.renderable(result))
        out["text/plain"] = buffer.getvalue()
    if include is None or "text/html" in include:
        console = Console(file=StringIO(), width=WIDTH, record=True, force_jupyter=False,
                          force_terminal=True, color_system="truecolor")
        console.print(_display.renderable(result))
        out["text/html"] = _scoped(console.export_html(
            inline_styles=False, code_format="{stylesheet}\0{code}"))
    return out


def _scoped(exported: str) -> str:
    """rich's classes (``.r1`` ...) scoped to this output: a notebook holds many summaries, and
    a style sheet in one output applies to the whole page."""
    sheet, code = exported.split("\0", 1)
    scope = "es-sum-" + hashlib.sha1(exported.encode(), usedforsecurity=False).hexdigest()[:10]
    rules = "".join(f".{scope} {line.strip()}" for line in sheet.splitlines() if line.strip())
    return f"<style>{rules}</style>" + _PRE.format(scope=scope, code=code)


_display.register_view("html", EventStudyResult, study_html)
_display.register_view("html", PairResult, pair_html)
_display.register_view("html", PooledResult, pooled_html)
_display.register_view("html", BatchResult, batch_html)
_display.register_view("summary", EventStudyResult, summary_bundle)
_display.register_view("summary", PooledResult, summary_bundle)
