"""Nothing lost, nothing torn (issue #9): writes of the cache and of reports are atomic.

Two processes share a file: a writer rewrites it in a loop, alternating two contents A and B;
a reader reads it in a loop at the same time. Every read must be exactly A or exactly B,
never a mixture or a prefix. The harness is first shown to catch a naive writer (open, write
half, write the rest), so a pass means something. Processes are forked from the test process
(the package is already imported there), each loop runs for a fraction of a second.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import EventStudyError

DURATION = 0.5  # seconds of concurrent reading and writing per test ...
MIN_WRITES = 8  # ... and at least this many writes (alternating A and B)
CTX = mp.get_context("fork")


def _contents(size: int = 200_000) -> tuple[bytes, bytes]:
    a = (b"A" * 99 + b"\n") * (size // 100)
    b = (b"B" * 79 + b"\n") * (size // 80 + 7)  # another length too
    return a, b


def _writer(write: Callable[[bytes], None], a: bytes, b: bytes, stop: float, done, out
            ) -> None:
    n = 0
    try:
        while time.monotonic() < stop or n < MIN_WRITES:  # busy machines get a longer race
            write(a if n % 2 == 0 else b)
            n += 1
        out.send(("ok", n))
    except BaseException as exc:  # report, never hang the test
        out.send(("error", repr(exc)))
    finally:
        done.set()


def _reader(read: Callable[[], object], classify: Callable[[object], str], done, out) -> None:
    seen: dict[str, int] = {}
    try:
        while not done.is_set():
            kind = classify(read())
            seen[kind] = seen.get(kind, 0) + 1
        out.send(("ok", seen))
    except BaseException as exc:
        out.send(("error", repr(exc)))


def race(write: Callable[[bytes], None], read: Callable[[], object],
         classify: Callable[[object], str], a: bytes, b: bytes) -> dict[str, int]:
    """Run a writer and a reader process concurrently; the reader's tally of what it saw."""
    write(a)  # the file exists before the reader starts
    stop = time.monotonic() + DURATION
    done = CTX.Event()
    w_recv, w_send = CTX.Pipe(duplex=False)
    r_recv, r_send = CTX.Pipe(duplex=False)
    writer = CTX.Process(target=_writer, args=(write, a, b, stop, done, w_send))
    reader = CTX.Process(target=_reader, args=(read, classify, done, r_send))
    reader.start()
    writer.start()
    w_status = w_recv.recv() if w_recv.poll(60) else ("error", "writer hung")
    done.set()
    r_status = r_recv.recv() if r_recv.poll(60) else ("error", "reader hung")
    writer.join(5)
    reader.join(5)
    assert w_status[0] == "ok", w_status
    assert r_status[0] == "ok", r_status
    return r_status[1]


def bytes_classifier(a: bytes, b: bytes) -> Callable[[object], str]:
    def classify(data: object) -> str:
        if data == a:
            return "A"
        if data == b:
            return "B"
        return f"torn ({len(data)} bytes)" if isinstance(data, bytes) else str(data)
    return classify


def naive_write(path: Path) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        with open(path, "wb") as fh:  # truncates, then fills in two steps
            fh.write(data[: len(data) // 2])
            fh.flush()
            time.sleep(0.001)
            fh.write(data[len(data) // 2:])
    return write


def test_the_harness_catches_a_torn_write(tmp_path: Path) -> None:
    path = tmp_path / "naive.bin"
    a, b = _contents()
    seen = race(naive_write(path), path.read_bytes, bytes_classifier(a, b), a, b)
    assert any(kind.startswith("torn") for kind in seen), seen


def test_cache_atomic_write_is_never_torn(tmp_path: Path) -> None:
    from eventstudy.prices.cache import atomic_write

    path = tmp_path / "X.csv"
    a, b = _contents()
    seen = race(lambda data: atomic_write(path, data), path.read_bytes, bytes_classifier(a, b),
                a, b)
    assert set(seen) == {"A", "B"}, seen  # both versions seen, nothing else
    assert sorted(p.name for p in tmp_path.iterdir()) == ["X.csv"]  # no temporary file left


def test_report_writer_is_never_torn(tmp_path: Path) -> None:
    from eventstudy.present.writer import write_reports

    out = tmp_path / "reports"
    path = out / "ev.md"
    a, b = _contents()

    def write(data: bytes) -> None:
        write_reports(out, {"ev.md": data})

    seen = race(write, path.read_bytes, bytes_classifier(a, b), a, b)
    assert set(seen) == {"A", "B"}, seen
    assert sorted(p.name for p in out.iterdir()) == ["ev.md"]  # no staging folder left


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = pd.bdate_range("2020-01-01", periods=3000, name="date")
    a = pd.DataFrame({"close": np.linspace(10, 20, 3000)}, index=dates)
    b = pd.DataFrame({"close": np.linspace(30, 50, 2500)}, index=dates[:2500])
    return a.assign(adj_close=a["close"]), b.assign(adj_close=b["close"])


def test_price_cache_entry_read_between_its_two_files(tmp_path: Path, monkeypatch) -> None:
    # The window between the two os.replace calls of one PriceCache.write (CSV and sidecar),
    # made deterministic: a reader runs right after each replace. It must see the old entry
    # or the new one, never a checksum mismatch (YahooSource would quarantine a fresh file).
    from eventstudy.prices import cache as cache_module

    cache = cache_module.PriceCache(tmp_path)
    fa, fb = _frames()
    meta = {"source": "test", "fetched_at": "2026-01-01T00:00:00+00:00", "yfinance": None,
            "adjusted": True, "start": "2020-01-01", "end": "2031-12-31"}
    cache.write("X", fa, meta)
    seen = []
    real = cache_module.atomic_write

    def atomic_write_then_read(path: Path, data: bytes) -> None:
        real(path, data)  # after each of the write's two replaces (CSV, sidecar: any order)
        try:
            entry = cache_module.PriceCache(tmp_path).read("X")
            seen.append(len(entry.prices) if entry is not None else None)
        except EventStudyError as exc:
            seen.append(f"{type(exc).__name__}: {exc}")

    monkeypatch.setattr(cache_module, "atomic_write", atomic_write_then_read)
    cache.write("X", fb, meta)
    assert len(seen) == 2 and seen[0] in (3000, 2500) and seen[1] == 2500, seen


def test_price_cache_entry_two_processes(tmp_path: Path) -> None:
    # The same at the level of a cache entry (CSV + sidecar) with two real processes: every
    # read through PriceCache.read is the old entry or the new one, never a corruption error.
    from eventstudy.prices.cache import PriceCache

    cache = PriceCache(tmp_path)
    fa, fb = _frames()
    meta = {"source": "test", "fetched_at": "2026-01-01T00:00:00+00:00", "yfinance": None,
            "adjusted": True, "start": "2020-01-01", "end": "2031-12-31"}

    def write(data: bytes) -> None:
        cache.write("X", fa if data == b"A" else fb, meta)

    def read() -> object:
        try:
            entry = cache.read("X")
        except EventStudyError as exc:
            return f"{type(exc).__name__}: {str(exc)[:100]}"
        n = len(entry.prices) if entry is not None else None
        return {3000: "A", 2500: "B"}.get(n, f"torn ({n} rows)")  # type: ignore[arg-type]

    seen = race(write, read, str, b"A", b"B")
    assert set(seen) <= {"A", "B"} and seen.get("A", 0) + seen.get("B", 0) >= 4, seen
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
