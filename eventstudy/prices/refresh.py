"""Refresh the embedded dataset from a folder of price files (a maintainer's step).

Usage, from the repository root::

    python -m eventstudy.prices.refresh [SRC_DIR] [--prune]
    python -m eventstudy.prices.refresh --from-cache [CACHE_DIR] [--tickers T ...] [--all]

``SRC_DIR`` defaults to ``../shared/data/prices``, looked for relative to the current folder,
then next to the repository that holds this package. Every ``SRC_DIR/*.csv`` is validated with
:func:`~eventstudy.prices.csv.read_price_csv` before anything is written; one bad file stops
the refresh with the embedded dataset unchanged. Files are then copied byte for byte, each
written to a temporary file in the target folder and moved into place with :func:`os.replace`,
so a reader never sees a half-written file. Embedded files that ``SRC_DIR`` lacks are kept
(and reported) unless ``--prune`` is given. ``data/README.md`` is not touched: update the
provenance notes by hand.

With ``--from-cache`` the source is the price cache (``eventstudy data fetch`` fills it;
default ``$EVENTSTUDY_CACHE_DIR``, else the user cache directory): every cache entry is read
with its checksum verified and run through :func:`eventstudy.prices.validate.check` (an error,
such as a probable unadjusted split, stops the rebuild), then the cache's CSV files, cut to
``date,close,adj_close`` (adjusted prices; the cache's ``open``, ``high``, ``low`` and
``volume``, on the basis of Yahoo's close, not the adjusted one, are left out: the files written
are those the cache gave before it kept them), go through the same validated, atomic copy. By
default only the tickers the embedded dataset already holds are taken (``--all``: every cached
ticker; ``--tickers``: those named). Update ``data/README.md`` (sources, adjustment) by hand.

Prints one line per ticker (rows, first .. last date, new/updated/unchanged). On error, prints
one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eventstudy._atomic import stage
from eventstudy.errors import PriceDataError
from eventstudy.prices import embedded
from eventstudy.prices.csv import read_price_csv

__all__ = ["DATA_DIR", "Refreshed", "default_source", "main", "refresh", "refresh_from_cache"]

#: The embedded dataset's folder, the refresh's target.
DATA_DIR = Path(__file__).resolve().parent / "data"
#: The default source folder, relative to the repository root.
DEFAULT_SOURCE = Path("..") / "shared" / "data" / "prices"
_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Refreshed:
    """What the refresh did with one price file.

    Attributes
    ----------
    ticker : str
        The ticker (file name without ``.csv``).
    rows : int
        Days with a price.
    first, last : str
        First and last date with a price, ``YYYY-MM-DD``.
    status : str
        ``"new"``, ``"updated"`` or ``"unchanged"``.
    """

    ticker: str
    rows: int
    first: str
    last: str
    status: str

    def __str__(self) -> str:
        return f"{self.ticker}: {self.rows} rows {self.first} .. {self.last} ({self.status})"


def default_source() -> Path:
    """Return the default source folder, ``../shared/data/prices``.

    Looked for relative to the current folder first, then relative to the repository that
    holds this package.

    Raises
    ------
    PriceDataError
        When neither folder exists.
    """
    candidates = [Path.cwd() / DEFAULT_SOURCE, _REPO_ROOT / DEFAULT_SOURCE]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    tried = " nor ".join(str(c) for c in candidates)
    raise PriceDataError(f"no source folder given, and neither {tried} exists; pass SRC_DIR")


def refresh(
    source: str | os.PathLike[str] | None = None,
    target: str | os.PathLike[str] | None = None,
    *,
    prune: bool = False,
) -> tuple[list[Refreshed], list[str]]:
    """Validate every ``source/*.csv``, then copy them atomically into `target`.

    Parameters
    ----------
    source : str or os.PathLike, optional
        The folder of ``<TICKER>.csv`` files; default :func:`default_source`.
    target : str or os.PathLike, optional
        The folder to update; default :data:`DATA_DIR` (the embedded dataset).
    prune : bool, default False
        Delete ``target/*.csv`` files that `source` does not have.

    Returns
    -------
    refreshed : list of Refreshed
        One entry per source file, sorted by ticker.
    others : list of str
        Tickers in `target` but not in `source`: deleted when `prune`, else kept.

    Raises
    ------
    PriceDataError
        When `source` is not a folder or holds no CSV file, when any file is invalid (nothing
        is written then), or when `source` and `target` are the same folder.
    OSError
        When writing fails; files not yet moved into place are left as they were.
    """
    src = Path(source) if source is not None else default_source()
    dest = Path(target) if target is not None else DATA_DIR
    if not src.is_dir():
        raise PriceDataError(f"source folder {src} does not exist or is not a folder")
    files = sorted(p for p in src.glob("*.csv") if p.is_file())
    if not files:
        raise PriceDataError(f"source folder {src} holds no .csv files; nothing to refresh")
    if dest.exists() and dest.resolve() == src.resolve():
        raise PriceDataError(f"source and target are the same folder ({src}); nothing to do")

    validated = []
    for path in files:  # every file first: one bad file and nothing is written
        series = read_price_csv(path)
        validated.append((path, path.read_bytes(), series))

    dest.mkdir(parents=True, exist_ok=True)
    refreshed, staged = [], []
    try:
        for path, data, series in validated:
            final = dest / path.name
            status = "new"
            if final.is_file():
                status = "unchanged" if final.read_bytes() == data else "updated"
            if status != "unchanged":
                staged.append((stage(dest, path.name, data), final))
            refreshed.append(
                Refreshed(
                    ticker=str(series.name),
                    rows=len(series),
                    first=f"{series.index[0]:%Y-%m-%d}",
                    last=f"{series.index[-1]:%Y-%m-%d}",
                    status=status,
                )
            )
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)

    names = {path.name for path in files}
    others = sorted(p.name[:-4] for p in dest.glob("*.csv") if p.name not in names)
    if prune:
        for ticker in others:
            (dest / f"{ticker}.csv").unlink()
    embedded.clear_cache()
    return refreshed, others


def refresh_from_cache(
    cache_dir: str | os.PathLike[str] | None = None,
    target: str | os.PathLike[str] | None = None,
    *,
    tickers: Sequence[str] | None = None,
    all_tickers: bool = False,
) -> tuple[list[Refreshed], list[str]]:
    """Rebuild embedded files from the price cache (see the module docstring).

    Parameters
    ----------
    cache_dir : str or os.PathLike, optional
        The cache; default :func:`~eventstudy.prices.cache.default_cache_dir`.
    target : str or os.PathLike, optional
        The folder to update; default :data:`DATA_DIR`.
    tickers : sequence of str, optional
        The tickers to take; default those already in `target` (or all, with `all_tickers`).
    all_tickers : bool, default False
        Take every cached ticker.

    Returns
    -------
    See :func:`refresh` (``others``: target tickers not taken from the cache, kept).

    Raises
    ------
    PriceDataError
        A named ticker missing from the cache, a corrupt cache entry, a validation error, or
        nothing to take. Nothing is written then.
    """
    from eventstudy.prices import validate
    from eventstudy.prices.cache import PriceCache, closes_csv

    cache = PriceCache(cache_dir)
    dest = Path(target) if target is not None else DATA_DIR
    cached = cache.tickers()
    if tickers:
        missing = [t for t in tickers if t not in cached]
        if missing:
            raise PriceDataError(f"not in the cache {cache.directory}: {', '.join(missing)}; "
                                 "run 'eventstudy data fetch' for them first")
        chosen = list(tickers)
    elif all_tickers:
        chosen = cached
    else:
        present = {p.name[:-4] for p in dest.glob("*.csv")}
        chosen = [t for t in cached if t in present]
    if not chosen:
        raise PriceDataError(f"the cache {cache.directory} holds none of the tickers asked for; "
                             "run 'eventstudy data fetch TICKER...' first")
    with tempfile.TemporaryDirectory() as staging:
        for ticker in chosen:
            entry = cache.read(ticker)  # checksum verified; corrupt -> CacheCorruptError
            assert entry is not None
            series, _ = validate.clean(entry.series, ticker, f"cache {cache.csv_path(ticker)}")
            # the embedded data are split-adjusted: a probable split is refused here
            errors = [i for i in validate.check(series, validate.exchange_of(ticker))
                      if i.severity == "error" or i.kind == "split"]
            if errors:
                raise PriceDataError(f"{errors[0].message}; nothing was rebuilt")
            data = closes_csv(cache.csv_path(ticker).read_bytes())  # date,close,adj_close
            (Path(staging) / f"{ticker}.csv").write_bytes(data)
        refreshed, _ = refresh(staging, dest)
    others = sorted(p.name[:-4] for p in dest.glob("*.csv") if p.name[:-4] not in chosen)
    return refreshed, others


def main(argv: Sequence[str] | None = None) -> int:
    """Run the refresh from the command line; return the exit status (0, or 2 on error)."""
    parser = argparse.ArgumentParser(
        prog="python -m eventstudy.prices.refresh",
        description="Validate SRC_DIR/*.csv and copy them into the embedded price dataset.",
    )
    parser.add_argument(
        "source",
        nargs="?",
        metavar="SRC_DIR",
        help=f"folder of <TICKER>.csv files (default: {DEFAULT_SOURCE} from the repo root)",
    )
    parser.add_argument(
        "--prune", action="store_true", help="delete embedded files that SRC_DIR lacks"
    )
    parser.add_argument("--from-cache", action="store_true",
                        help="take the prices from the price cache (SRC_DIR: the cache folder)")
    parser.add_argument("--tickers", nargs="+", metavar="TICKER",
                        help="with --from-cache: only these tickers")
    parser.add_argument("--all", action="store_true", dest="all_tickers",
                        help="with --from-cache: every cached ticker, not only embedded ones")
    args = parser.parse_args(argv)
    try:
        if args.from_cache:
            if args.prune:
                raise PriceDataError("--prune does not apply to --from-cache")
            refreshed, others = refresh_from_cache(args.source, tickers=args.tickers,
                                                   all_tickers=args.all_tickers)
        else:
            refreshed, others = refresh(args.source, prune=args.prune)
    except PriceDataError as exc:
        print(f"refresh: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(f"refresh: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for item in refreshed:
        print(item)
    for ticker in others:
        print(f"{ticker}: not in the source, {'deleted' if args.prune else 'kept'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
