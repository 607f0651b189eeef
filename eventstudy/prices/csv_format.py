"""One price CSV file's text parsed and checked (the format of :mod:`eventstudy.prices.csv`):
records and their 1-based lines for the messages, dates, duplicate dates and prices.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from eventstudy.errors import PriceDataError

#: Price cells that spell out a non-finite value (compared in lower case).
_NON_FINITE_WORDS = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# The dates a datetime64[ns] index can hold.
_FIRST_DATE = pd.Timestamp("1677-09-22")
_LAST_DATE = pd.Timestamp("2262-04-11")
_FORMAT_HINT = "each row needs 'date' as YYYY-MM-DD and a positive number in the price column"


def _records(text: str) -> list[list[str]]:
    """Split `text` into CSV records with the standard library."""
    return list(csv.reader(io.StringIO(text, newline="")))


def _record_starts(text: str) -> list[int]:
    """Return the 1-based file line on which each CSV record (header included) starts.

    pandas reports no line numbers, so on error the text is split again with :mod:`csv`,
    which splits records the same way (a quoted field may span lines, blank lines are
    records). Returns an empty list when :mod:`csv` cannot split the text.
    """
    starts = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        previous = 0
        for _ in reader:
            starts.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        return []
    return starts


def _row_line(text: str, n_rows: int, row: int) -> int:
    """Return the file line of data row `row` (0-based) of a frame of `n_rows` rows."""
    starts = _record_starts(text)
    if len(starts) != n_rows + 1:  # the two parsers disagree: assume one row per line
        return row + 2
    return starts[row + 1]


def _record_line(text: str, record: int) -> int:
    """Return the file line on which record number `record` (1-based, header = 1) starts."""
    starts = _record_starts(text)
    return starts[record - 1] if 0 < record <= len(starts) else record


def _parse(text: str, where: str) -> tuple[pd.DataFrame, list[str]]:
    """Parse `text` into a frame of strings (columns numbered 0..) and its normalised header."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
        except pd.errors.ParserWarning:
            raise PriceDataError(_too_many_fields(text, where)) from None
        except pd.errors.EmptyDataError:
            raise PriceDataError(
                f"price file {where} is empty; it needs a header line 'date,close' and one row "
                "per day"
            ) from None
        except (ValueError, OverflowError) as exc:  # pandas.errors.ParserError is a ValueError
            detail = " ".join(str(exc).split()).removeprefix("Error tokenizing data. C error: ")
            fields = re.fullmatch(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
            if fields:
                n_header, record, n_row = (int(g) for g in fields.groups())
                line = _record_line(text, record)
                raise PriceDataError(_extra_fields(where, line, n_row, n_header)) from None
            raise PriceDataError(
                f"price file {where} is not valid CSV ({detail}); {_FORMAT_HINT}"
            ) from None
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        first = []
    names = first if len(first) == frame.shape[1] else [str(c) for c in frame.columns]
    header = [str(c).strip().lower().replace(" ", "_") for c in names]
    for column in ("date", "close", "adj_close"):
        if header.count(column) > 1:
            raise PriceDataError(
                f"price file {where}, line 1: the header names column '{column}' twice; keep one"
            )
    for column in ("date", "close"):
        if column not in header:
            found = ", ".join(repr(c) for c in names) or "nothing"
            raise PriceDataError(
                f"price file {where}, line 1: no '{column}' column (the header holds {found})"
                "; the header must name the columns date and close"
            )
    frame.columns = pd.Index(range(frame.shape[1]))
    return frame, header


def _validate(
    frame: pd.DataFrame, header: list[str], text: str, where: str, name: str
) -> pd.Series:
    column = "adj_close" if "adj_close" in header else "close"
    dates = frame[header.index("date")].fillna("").str.strip()
    prices = frame[header.index(column)].fillna("").str.strip()
    has_date = (dates != "").to_numpy()
    has_price = (prices != "").to_numpy()

    iso = dates.str.fullmatch(_ISO_DATE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(dates.where(iso), format="%Y-%m-%d", errors="coerce")
    in_range = ((parsed >= _FIRST_DATE) & (parsed <= _LAST_DATE)).to_numpy(dtype=bool)
    words = prices.str.lower().isin(_NON_FINITE_WORDS).to_numpy()
    values = pd.to_numeric(prices.where(has_price), errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        positive = values > 0
    valid_date = iso & in_range
    duplicate = pd.Series(parsed).where(valid_date).duplicated().to_numpy() & valid_date

    def quoted(series: pd.Series) -> Callable[[int], str]:
        return lambda i: repr(series.iloc[i])

    date_text, price_text = quoted(dates), quoted(prices)
    # (rows at fault, message for row i); for one row the first rule that applies is reported
    rules: list[tuple[np.ndarray, Callable[[int], str]]] = [
        (
            ~has_date & has_price,
            lambda i: "no date; every row with a price needs a date written YYYY-MM-DD",
        ),
        (
            has_date & ~iso,
            lambda i: f"date {date_text(i)} is not an ISO date; write it as YYYY-MM-DD",
        ),
        (
            iso & parsed.isna().to_numpy(),
            lambda i: f"date {date_text(i)} is not a calendar day; check it",
        ),
        (
            iso & ~parsed.isna().to_numpy() & ~in_range,
            lambda i: (
                f"date {date_text(i)} is outside {_FIRST_DATE:%Y-%m-%d}.."
                f"{_LAST_DATE:%Y-%m-%d}; check it"
            ),
        ),
        (
            has_price & np.isnan(values) & ~words,
            lambda i: (
                f"{column} {price_text(i)} is not a number; write a positive decimal "
                "number, or leave the cell empty when there is no price that day"
            ),
        ),
        (
            has_price & (words | np.isinf(values)),
            lambda i: (
                f"{column} {price_text(i)} is not a finite number; leave the cell empty "
                "when there is no price that day"
            ),
        ),
        (
            has_price & np.isfinite(values) & ~positive,
            lambda i: f"{column} {price_text(i)} is not positive; prices must be greater than zero",
        ),
        (
            duplicate,
            lambda i: (
                f"date {dates.iloc[i]} appears again (first on line "
                f"{_first_line(parsed, i, text, len(frame))}); keep one row per date"
            ),
        ),
    ]
    bad = np.zeros(len(frame), dtype=bool)
    for mask, _ in rules:
        bad |= mask
    if bad.any():
        row = int(np.argmax(bad))
        message = next(describe(row) for mask, describe in rules if mask[row])
        line = _row_line(text, len(frame), row)
        raise PriceDataError(f"price file {where}, line {line}: {message}")

    if not has_price.any():
        state = (
            f"has no prices (every '{column}' cell is empty)"
            if has_date.any()
            else "has a header but no data rows"
        )
        raise PriceDataError(f"price file {where} {state}; {_FORMAT_HINT}")
    keep = has_price  # rows without a price (blank lines too) are left out
    index = pd.DatetimeIndex(parsed[keep], name="date").as_unit("ns")
    series = pd.Series(values[keep], index=index, name=name, dtype=np.float64)
    return series.sort_index(kind="stable")


def _too_many_fields(text: str, where: str) -> str:
    """Describe the first row that has more fields than the header."""
    try:
        records = _records(text)
    except csv.Error:
        records = []
    for k, record in enumerate(records[1:], start=2):
        if len(record) > len(records[0]):
            return _extra_fields(where, _record_line(text, k), len(record), len(records[0]))
    return f"price file {where}: a row has more fields than the header (line 1) names columns"


def _extra_fields(where: str, line: int, n_row: int, n_header: int) -> str:
    return (
        f"price file {where}, line {line}: {n_row} fields, but the header (line 1) names "
        f"{n_header} columns; remove the extra fields or name every column"
    )


def _first_line(parsed: pd.Series, row: int, text: str, n_rows: int) -> int:
    """Return the file line of the first row whose date equals that of `row`."""
    values = parsed.to_numpy()
    first = int(np.argmax(values == values[row]))
    return _row_line(text, n_rows, first)
