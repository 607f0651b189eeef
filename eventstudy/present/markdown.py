"""The Markdown report of one event, from its :class:`~eventstudy.study.results.EventStudyResult`.

Sections: header (event, sources, announcement), reading, day 0 per security with its
reason, overview, estimation summary, one section per pair (figures, AR and CAR tables,
confounders, notes), aggregate tests, excluded pairs, volume (when given), conventions and
legend. The text is GitHub-flavoured Markdown (pipe tables); :mod:`eventstudy.present.html`
renders the same text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from eventstudy._version import __version__
from eventstudy.inference.aggregate import Aggregate
from eventstudy.inference.significance import TestResult
from eventstudy.present.common import (
    exchange_label,
    fnum,
    fp,
    ordered,
    pct_text,
    stars,
    summary_windows,
    window_text,
)
from eventstudy.present.reading import reading
from eventstudy.present.synthetic_lines import placebo_lines, synthetic_fit
from eventstudy.present.terminal import LEGEND
from eventstudy.study.results import EventStudyResult, PairResult

# Active characters: always \ ` * | ~; "_" except inside a word (where it cannot emphasise);
# "<" before a tag or autolink; "[" before "]"-links; ">" at the start (block quote).
_ESCAPE = re.compile(r"([\\`*|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|<(?=[A-Za-z/!?])|\[|^>)")


def esc(text: str) -> str:
    """Text with Markdown's active characters escaped (stars, pipes, a leading '>', ...).

    Whitespace runs become one space, so the text stays on one line (tables, bullets).
    """
    return _ESCAPE.sub(r"\\\1", " ".join(str(text).split()))


def code(text: str) -> str:
    """An inline code span."""
    return f"`{text}`"


def link(text: str, target: str) -> str:
    """A link with escaped text."""
    return f"[{esc(text)}]({target})"


def image(alt: str, path: str) -> str:
    """An image reference."""
    return f"![{esc(alt)}]({path})"


#: The line of every page but the index that leads to it (relative: the pages sit together).
INDEX_LINK = "[All events](README.md)"

# A link or image this module writes: [text](target), text with escapes, target without spaces.
_REFERENCE = re.compile(r"(?<!\\)(!?)\[((?:\\.|[^\\\]])*)\]\(([^()\s]+)\)")


def drop_missing(text: str, keep: Callable[[str], bool]) -> str:
    """``text`` without links and images to relative paths that ``keep`` says are missing.

    A dropped link keeps its text; a line that held nothing but a dropped link or image goes,
    with the blank line after it. Absolute URLs and ``#anchors`` stay untouched.
    """
    def replace(match: re.Match[str]) -> str:
        bang, label, target = match.groups()
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path or keep(unquote(parts.path)):
            return match[0]
        return "" if bang else label

    out: list[str] = []
    skip_blank = False
    for line in text.split("\n"):
        new = _REFERENCE.sub(replace, line) if "](" in line else line
        whole = new != line and _REFERENCE.fullmatch(line) is not None
        if whole or (skip_blank and not line):
            skip_blank = whole
            continue
        skip_blank = False
        out.append(new)
    return "\n".join(out)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> str:
    """A pipe table; ``align`` holds one of l, r, c per column (default left)."""
    marks = {"l": "---", "r": "--:", "c": ":-:"}
    spec = [marks[align[i]] if i < len(align) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(spec) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def star_cell(p: float) -> str:
    """Stars, escaped for Markdown."""
    return esc(stars(p))


def pair_anchor_title(pair: PairResult) -> str:
    """The heading of a pair's section."""
    title = f"{pair.security} — {pair.name} ({pair.ticker}, {exchange_label(pair.exchange)})"
    return title + (" — proxy" if pair.proxy else "")


def event_markdown(result: EventStudyResult, figures: Mapping[str, str],
                   volume: EventStudyResult | str | None = None) -> str:
    """The report of one event as Markdown text.

    Parameters
    ----------
    result : EventStudyResult
    figures : mapping
        Relative image paths by key: ``"overview"``, one per security alias and, for the
        volume section, ``"volume/<alias>"``; a missing key leaves that image out.
    volume : EventStudyResult or str, optional
        The volume study of the event (a "Volume" section), or why it could not run (one
        line saying the section is left out); None: no volume section.

    Returns
    -------
    str
        Markdown ending with one newline.
    """
    parts = [_header(result), _reading(result), _day0_table(result)]
    parts.append(_overview(result, figures))
    parts.append(_estimation(result))
    parts += [_pair_section(p, figures) for p in result.pairs]
    if result.aggregate is not None and len(result.pairs) > 1:
        parts.append(_aggregate(result))
    if result.excluded:
        parts.append(_excluded(result))
    if volume is not None:
        parts.append(volume_section(volume, figures))
    parts.append(_conventions(result))
    return "\n\n".join(p for p in parts if p) + "\n"


def _header(result: EventStudyResult) -> str:
    event = result.event
    lines = [f"# {esc(event.title)}", ""]
    facts = [code(event.id), f"announced {esc(event.announced_text)}"]
    if not hasattr(event.announced, "hour"):
        facts.append(f"timing: {esc(event.timing)}")
    if event.tags:
        facts.append("tags: " + ", ".join(esc(t) for t in event.tags))
    if event.headline != (0, 0):
        facts.append(f"headline window: CAR{window_text(event.headline)}")
    lines.append(" · ".join(facts))
    if event.notes:
        lines += ["", f"> {esc(event.notes)}"]
    if event.sources:
        lines += ["", "Sources:", ""]
        lines += [f"- <{s}>" for s in event.sources]
    lines += ["", INDEX_LINK, "", f"Generated by {code('eventstudy report')} "
              f"(eventstudy {esc(__version__)}) from the package's result objects; do not "
              "edit by hand."]
    return "\n".join(lines)


def _reading(result: EventStudyResult) -> str:
    sentences = reading(result)
    return "\n".join(["## Reading", "", *(f"- {esc(s)}" for s in sentences), "",
                      "*Generated from the numbers below; no hand-written conclusion.*"])


def _day0_table(result: EventStudyResult) -> str:
    rows = [[esc(p.security), esc(exchange_label(p.exchange)), p.day0.date().isoformat(),
             esc(p.day0_reason)] for p in result.pairs]
    return "## Day 0\n\n" + table(["security", "exchange", "day 0", "why"], rows)


def _day0_row(pair: PairResult):
    row = pair.days.loc[pair.days["t"] == 0]
    return None if row.empty else row.iloc[0]


def _overview(result: EventStudyResult, figures: Mapping[str, str]) -> str:
    lines = ["## Overview", ""]
    if "overview" in figures:
        lines += [image(f"{result.event.id}: CAR of each security", figures["overview"]), ""]
    windows = summary_windows(result)
    rows = []
    for p in result.pairs:
        d0 = _day0_row(p)
        cells = [esc(p.security) + (" (proxy)" if p.proxy else "")]
        if d0 is None:
            cells += ["–", "–", "–", ""]
        else:
            cells += [pct_text(d0.ar), fnum(d0.t_stat), fp(d0.p), star_cell(d0.p)]
        for w in windows:
            car = p.car.loc[p.car["window"] == w]
            if car.empty:
                cells += ["–", "–", "–", ""]
            else:
                c = car.iloc[0]
                cells += [pct_text(c.car), fnum(c.t_stat), fp(c.p), star_cell(c.p)]
        rows.append(cells)
    header = ["security", "AR day 0", "t", "p", ""]
    for w in windows:
        header += [f"CAR{window_text(w)}", "t", "p", ""]
    lines.append(table(header, rows, "l" + "rrrl" * (1 + len(windows))))
    return "\n".join(lines)


def _estimation(result: EventStudyResult) -> str:
    rows = []
    for p in result.pairs:
        f = p.estimation
        rows.append([
            esc(p.security), esc(p.model), esc(p.benchmark or "–"), esc(p.returns),
            f"{f.start.date()}..{f.end.date()}", str(f.n_obs), str(f.k), str(f.df),
            fnum(f.alpha, ".5f"), fnum(f.beta, ".3f"), pct_text(f.sigma, 3, signed=False),
            fnum(f.r2, ".3f"), str(f.n_gaps),
        ])
    header = ["security", "model", "benchmark", "returns", "estimation window", "M", "k",
              "df", "α", "β", "σ", "R²", "gaps"]
    note = ("M usable estimation returns, k parameters, df = M − k. Constant mean: α is the "
            "mean return; market-adjusted: α = 0, β = 1 by construction. Gaps: returns "
            "spanning a missing price, left out of the fit.")
    return "## Estimation\n\n" + table(header, rows, "lllllrrrrrrrr") + "\n\n" + note


def _pair_section(p: PairResult, figures: Mapping[str, str]) -> str:
    lines = [f"## {esc(pair_anchor_title(p))}", ""]
    if p.security in figures:
        alt = f"{p.security}: cumulative abnormal return with 95 % band, daily abnormal returns"
        lines += [image(alt, figures[p.security]), ""]
    has_bench = p.benchmark is not None
    header = ["t", "date", "return", "benchmark", "expected", "AR", "se", "t", "p", "", "CAR"]
    rows = []
    for r in p.days.itertuples(index=False):
        cells = [f"{r.t:+d}", r.date.date().isoformat() + (f" ({r.span}d)" if r.span > 1 else ""),
                 pct_text(r[2]), pct_text(r.benchmark_return), pct_text(r.expected),
                 pct_text(r.ar), pct_text(r.se, signed=False), fnum(r.t_stat), fp(r.p),
                 star_cell(r.p), pct_text(r.car)]
        if r.t == 0:
            cells = [f"**{c}**" if c else c for c in cells]
        rows.append(cells if has_bench else cells[:3] + cells[4:])
    if not has_bench:
        header = header[:3] + header[4:]
    align = "rlrrrrrrrlr" if has_bench else "rlrrrrrrlr"
    lines += ["### Abnormal returns", "", table(header, rows, align), ""]
    rows = []
    for r in p.car.itertuples(index=False):
        window = tuple(r.window)
        cells = [window_text(window), f"{r.start.date()}..{r.end.date()}", pct_text(r.car),
                 pct_text(r.se, signed=False), fnum(r.t_stat), fp(r.p), star_cell(r.p),
                 pct_text(r.bhar), str(r.n_days)]
        if window == p.headline:
            cells = [f"**{c}**" if c else c for c in cells]
        rows.append(cells)
    lines += ["### Cumulative abnormal returns", "",
              table(["window", "dates", "CAR", "se", "t", "p", "", "BHAR", "days"], rows,
                    "llrrrrlrr"),
              "", f"Headline window in bold: {window_text(p.headline)}."]
    if p.estimation.synthetic is not None:  # its weights and placebo p-values
        lines += ["", *(f"- {esc(line)}" for text in (synthetic_fit(p.estimation),
                                                     placebo_lines(p.estimation))
                        for line in text.splitlines())]
    bullets = [f"- confounder in the window: {c.date.isoformat()} (t = {t:+d}) {esc(c.note)}"
               for c, t in p.confounders]
    bullets += [f"- note: {esc(n)}" for n in p.notes]
    if bullets:
        lines += ["", *bullets]
    return "\n".join(lines)


def volume_section(volume: EventStudyResult | str, figures: Mapping[str, str]) -> str:
    """The "Volume" section: per security its figure, the day-0 abnormal log volume and the
    CAR of the headline window; a str (why the study cannot run) gives one line instead."""
    if isinstance(volume, str):
        return f"Volume section left out: the volume study cannot run: {esc(volume)}"
    lines = ["## Volume", "", "Abnormal log volume: V = log(1 + volume) less its normal level, "
             "in log points (+0.100 is about 10.5 % more shares traded than normal); p "
             "two-sided. Figure whiskers: ±1.96·se."]
    for p in volume.pairs:
        f = p.estimation
        model = esc(p.model) + (f" model on {esc(p.benchmark)}" if p.benchmark else " model")
        lines += ["", f"### {esc(p.security)}{' (proxy)' if p.proxy else ''}: volume", "",
                  f"{model}, estimation window {f.start.date()}..{f.end.date()} (M = {f.n_obs})."]
        if f"volume/{p.security}" in figures:
            alt = f"{p.security}: log(1 + volume) and its normal level, daily abnormal log volume"
            lines += ["", image(alt, figures[f"volume/{p.security}"])]
        d0 = _day0_row(p)
        car = p.car.loc[p.car["window"].map(tuple) == tuple(p.headline)]
        rows = [(f"day 0 ({p.day0.date().isoformat()})", d0, "ar"),
                (f"CAR{window_text(p.headline)} (headline)", None if car.empty else car.iloc[0],
                 "car")]
        cells = [[label, "–", "–", "–", ""] if r is None else
                 [label, fnum(r[value], "+.3f"), fnum(r.t_stat), fp(r.p), star_cell(r.p)]
                 for label, r, value in rows]
        lines += ["", table(["window", "abnormal log volume", "t", "p", ""], cells, "lrrrl")]
    if volume.excluded:
        lines += ["", *(f"- not studied: {esc(x.security)}: {esc(x.reason)}"
                        for x in volume.excluded)]
    return "\n".join(lines)


def _test_cell(t: TestResult | None) -> str:
    if t is None or not math.isfinite(t.stat):
        return "–"
    return fnum(t.stat) + star_cell(t.p)


def _aggregate(result: EventStudyResult) -> str:
    assert result.aggregate is not None
    return aggregate_section(result.aggregate, common_date=True)


def aggregate_section(agg: Aggregate, common_date: bool) -> str:
    """The aggregate's AAR per day and the tests of the day-0 AAR and of each CAAR window."""
    keys = [k for k, _ in ordered({k: None for tests in agg.day_tests.values() for k in tests})]
    lines = [f"## Aggregate over {agg.n} pairs", ""]
    if math.isfinite(agg.r_bar):
        lines += [f"Average cross-correlation of the estimation residuals r̄ = "
                  f"{fnum(agg.r_bar, '.3f')}.", ""]
    rows = []
    for t, row in agg.days.iterrows():
        tests = agg.day_tests.get(int(t), {})
        cells = [f"{int(t):+d}", str(int(row.n)), pct_text(row.aar)]
        cells += [_test_cell(tests.get(k)) for k in keys]
        rows.append([f"**{c}**" if c and int(t) == 0 else c for c in cells])
    lines += ["### Average abnormal return per day", "",
              table(["t", "N", "AAR", *(code(k) for k in keys)], rows, "rrr" + "r" * len(keys)),
              "", "Each test cell: statistic and stars (two-sided p-values in the tables below "
              "for day 0 and the CAR windows)."]
    columns: list[tuple[str, int, float, dict[str, TestResult]]] = []
    if 0 in agg.day_tests and 0 in agg.days.index:
        columns.append(("day 0", int(agg.days.loc[0, "n"]), float(agg.days.loc[0, "aar"]),
                        agg.day_tests[0]))
    for w, row in agg.car.iterrows():
        window = tuple(w)
        columns.append((f"CAAR{window_text(window)}", int(row.n), float(row.caar),
                        agg.car_tests.get(window, {})))
    all_keys = [k for k, _ in ordered({k: None for *_, tests in columns for k in tests})]
    rows = [["N", "", *(str(n) for _, n, _, _ in columns)],
            ["AAR / CAAR", "", *(pct_text(v) for _, _, v, _ in columns)]]
    if {"ci_low", "ci_high"} <= set(agg.car.columns):
        ci = ["–"] * (len(columns) - len(agg.car))  # the day-0 column has no interval
        ci += [f"{pct_text(lo)} .. {pct_text(hi)}" if math.isfinite(lo) else "–"
               for lo, hi in zip(agg.car["ci_low"], agg.car["ci_high"], strict=True)]
        rows.append(["95 % bootstrap CI", "", *ci])
    undefined = []
    for key in all_keys:
        found = [tests[key] for *_, tests in columns if key in tests]
        cells = [code(key), esc(found[0].dist)]
        for name, _, _, tests in columns:
            t = tests.get(key)
            if t is None or not math.isfinite(t.stat):
                cells.append("–")
                if t is not None and t.reason:
                    undefined.append(f"- {code(key)}, {esc(name)}: {esc(t.reason)}")
            else:
                cells.append(f"{fnum(t.stat)}{star_cell(t.p)} ({fp(t.p)})")
        rows.append(cells)
    lines += ["", "### Tests of the AAR on day 0 and of the CAAR per window", "",
              table(["test", "null", *(esc(name) for name, *_ in columns)], rows,
                    "ll" + "r" * len(columns)),
              "", "Each cell: statistic, stars and two-sided p-value (in brackets)."]
    if undefined:
        lines += ["", "Undefined:", "", *undefined]
    refs = dict.fromkeys((k, tests[k].reference) for *_, tests in columns for k in all_keys
                         if k in tests)
    lines += ["", "References: " + " · ".join(f"{code(k)}: {esc(ref)}" for k, ref in refs)]
    if common_date:
        lines += ["", "The pairs share one announcement date: tests that assume independent "
                  "pairs (csect_t, patell_z, bmp_t) over-reject under cross-correlation; read "
                  "them beside the tests adjusted for it (kp_bmp_t, adj_patell_z) where shown."]
    return "\n".join(lines)


def _excluded(result: EventStudyResult) -> str:
    rows = [[esc(x.security), esc(x.ticker), esc(x.reason)] for x in result.excluded]
    return "## Excluded pairs\n\n" + table(["security", "ticker", "reason"], rows)


def _conventions(result: EventStudyResult) -> str:
    lines = ["## Conventions", ""]
    lines += [f"- {esc(k)}: {esc(v)}" for k, v in result.conventions.items()]
    lines += ["- figures: the band is CAR ± t(0.975, M − k) · se of the running CAR, se from "
              "the prediction-error variance; (2d) marks a return spanning 2 sessions.",
              "", esc(LEGEND)]
    return "\n".join(lines)
