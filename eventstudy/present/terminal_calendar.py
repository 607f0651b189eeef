"""Terminal presentation of a calendar-time portfolio regression
(:class:`~eventstudy.inference.calendar_time.CalendarTimeResult`) with rich.

Reads the result, computes no statistic: the coefficients (α in %, the betas as numbers) with
their Newey-West se, t, p and stars per frequency, then each fit's T, lags, R², mean holdings
and dates, the excluded pairs with their reasons, and the conventions in a few dim lines. Every
table keeps within 80 columns.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from eventstudy.inference.calendar_time import CalendarTimeResult, HacFit
from eventstudy.present.cells import fnum, fp, pct, stars

#: Fewer observations than this: a note that the HAC standard errors are unreliable (Newey-West
#: is a large-T approximation; with a handful of months its p-values are far too small).
SHORT = 30


def render_calendar_time(result: CalendarTimeResult) -> RenderableType:
    """Header, coefficients, fit statistics, excluded pairs and notes."""
    first, last = result.start, result.start + result.horizon - 1
    n, events = len(result.pairs), {e for e in result.pairs.get("event", []) if e}
    of_events = f" of {_n(len(events), 'event')}" if events else ""
    head = Text()
    head.append("Calendar-time portfolio", style="bold")
    head.append(f": {_n(n, 'pair')}{of_events}, each held on sessions "
                f"{first:+d}..{last:+d} of its exchange after day 0; {result.weights}-weighted "
                f"{result.returns} returns on {', '.join(result.factors)}")
    parts: list[RenderableType] = [head, _coefficients(result), _fits(result)]
    if result.excluded:
        table = Table(title="Excluded pairs", title_justify="left", box=box.SIMPLE)
        table.add_column("pair", no_wrap=True)
        table.add_column("reason", overflow="fold")
        for pair, reason in result.excluded:
            table.add_row(pair, Text(reason, style="yellow"))
        parts.append(table)
    notes = ("α: mean abnormal return per day (daily) and per month (monthly: the daily returns "
             "compounded within each calendar month); se: Newey-West (Bartlett, L lags); p "
             "two-sided, normal.   *** p < 0.01   ** p < 0.05   * p < 0.10")
    parts.append(Text(notes, style="dim"))
    parts += [Text(f"{f.frequency}: T = {f.n_obs}; Newey-West se are unreliable in so short a "
                   "sample (normal p-values overstate significance)", style="yellow")
              for f in result.fits if not f.reason and f.n_obs < SHORT]
    return Group(*parts)


def _coefficients(result: CalendarTimeResult) -> Table:
    table = Table(title="Regression R_p = α + β'F + e", title_justify="left",
                  box=box.SIMPLE_HEAD)
    for name in ("frequency", "term"):
        table.add_column(name, no_wrap=True)
    for name in ("coef", "se", "t", "p"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for fit in result.fits:
        for i, term in enumerate(fit.terms):
            alpha = i == 0
            coef = pct(fit.coef[i], 3) if alpha else Text(fnum(fit.coef[i], ".3f"))
            se = pct(fit.se[i], 3, signed=False) if alpha else Text(fnum(fit.se[i], ".3f"))
            table.add_row(fit.frequency if alpha else "", "α" if alpha else f"β {term}",
                          coef, Text(se.plain), fnum(fit.t_stat[i]), fp(fit.p[i]),
                          stars(fit.p[i]))
        if fit is not result.fits[-1]:
            table.add_section()
    return table


def _fits(result: CalendarTimeResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("frequency", no_wrap=True)
    for name in ("T", "lags", "R²", "holdings"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("dates", overflow="fold")
    daily = result.portfolio[result.portfolio["in_sample"]]
    monthly = result.monthly_portfolio
    spans = (_span(daily.index.strftime("%Y-%m-%d")), _span(monthly.index.astype(str)))
    holdings = (daily["n_holdings"].mean(), monthly["mean_holdings"].mean())
    for fit, span, held in zip(result.fits, spans, holdings, strict=True):
        table.add_row(fit.frequency, str(fit.n_obs), str(fit.lags), fnum(fit.r2, ".3f"),
                      fnum(held), _dates(fit, span))
    return table


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _span(labels: object) -> str:
    values = list(labels)  # type: ignore[call-overload]
    return f"{values[0]}..{values[-1]}" if values else "–"


def _dates(fit: HacFit, span: str) -> Text:
    if fit.reason:
        return Text(f"{span}: undefined, {fit.reason}", style="yellow")
    return Text(span)
