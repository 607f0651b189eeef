"""The on-disk price cache: round trip, atomic writes, corruption detection."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.errors import PriceDataError
from eventstudy.prices import EmbeddedSource
from eventstudy.prices import cache as cache_mod
from eventstudy.prices.cache import CacheCorruptError, PriceCache, default_cache_dir, describe_age

META = {"source": "yahoo", "fetched_at": "2026-05-01T08:00:00+00:00", "yfinance": "1.7.0",
        "adjusted": True, "start": "2025-01-01", "end": "2026-04-30"}


def lyc() -> pd.DataFrame:
    close = EmbeddedSource().load("LYC.AX").loc["2025-06-01":"2025-09-30"]
    return pd.DataFrame({"close": close, "adj_close": close * 0.99})


def test_round_trip_keeps_prices_and_metadata(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path / "c")
    frame = lyc()
    cache.write("LYC.AX", frame, META)
    entry = cache.read("LYC.AX")
    assert entry is not None
    pd.testing.assert_frame_equal(entry.prices, frame, check_names=False, check_freq=False)
    assert entry.meta["rows"] == len(frame) and entry.meta["ticker"] == "LYC.AX"
    assert entry.meta["yfinance"] == "1.7.0" and entry.meta["adjusted"] is True
    # the series used is the adjusted close
    np.testing.assert_allclose(entry.series.to_numpy(), frame["adj_close"].to_numpy())
    assert cache.tickers() == ["LYC.AX"]
    assert cache.read("6330.T") is None


def test_failure_mid_write_leaves_the_old_file_intact(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_mod.os, "fsync", broken_fsync)
    with pytest.raises(PriceDataError, match=rf"cannot write the cache {re.escape(str(tmp_path))} "
                                             r"\(No space left on device\); pass --cache-dir"):
        cache.write("LYC.AX", lyc().iloc[:10] * 2, {**META, "end": "2026-05-30"})
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # same files, same bytes, no temporary file left behind
    monkeypatch.undo()
    entry = cache.read("LYC.AX")
    assert entry is not None and len(entry.prices) == len(lyc())


def test_interrupt_during_the_write_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PriceCache(tmp_path)
    real_replace = os.replace

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cache_mod.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.write("LYC.AX", lyc(), META)
    monkeypatch.setattr(cache_mod.os, "replace", real_replace)
    assert list(tmp_path.iterdir()) == []


def test_truncated_file_is_detected(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    path = tmp_path / "LYC.AX.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut mid-row, as a crash could
    with pytest.raises(CacheCorruptError, match=r"LYC\.AX\.csv does not match its checksum"):
        cache.read("LYC.AX")


def test_edited_price_is_detected(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    path = tmp_path / "LYC.AX.csv"
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",0"  # a zero price slipped in
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CacheCorruptError, match="checksum"):
        cache.read("LYC.AX")


@pytest.mark.parametrize("sidecar, match", [
    (None, "has no metadata file LYC.AX.json"),
    ("{not json", "is unreadable"),
    ('{"source": "yahoo"}', "lacks keys"),
])
def test_bad_sidecar_is_detected(tmp_path: Path, sidecar: str | None, match: str) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    meta = tmp_path / "LYC.AX.json"
    if sidecar is None:
        meta.unlink()
    else:
        meta.write_text(sidecar)
    with pytest.raises(CacheCorruptError, match=match):
        cache.read("LYC.AX")


def test_invalid_csv_with_matching_checksum_is_detected(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    path, meta_path = tmp_path / "LYC.AX.csv", tmp_path / "LYC.AX.json"
    text = path.read_text().replace("2025-06-03", "2025-06-02", 1)  # duplicate date
    path.write_text(text)
    import hashlib

    meta = json.loads(meta_path.read_text())
    meta["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CacheCorruptError, match=r"line 3: date 2025-06-02 appears again"):
        cache.read("LYC.AX")


def test_quarantine_moves_the_file_aside(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    moved = cache.quarantine("LYC.AX")
    assert moved == tmp_path / "LYC.AX.csv.corrupt" and moved.is_file()
    assert cache.read("LYC.AX") is None and not (tmp_path / "LYC.AX.json").exists()


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVENTSTUDY_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("EVENTSTUDY_CACHE_DIR")
    import platformdirs

    assert default_cache_dir() == Path(platformdirs.user_cache_dir("eventstudy",
                                                                    appauthor=False)) / "prices"


def test_describe_age() -> None:
    import datetime as dt

    assert describe_age(dt.timedelta(days=3, hours=5)) == "3 days"
    assert describe_age(dt.timedelta(hours=1, minutes=59)) == "1 hour"
    assert describe_age(dt.timedelta(seconds=30)) == "less than a minute"


def test_unwritable_folder_is_a_price_data_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder\n")
    cache = PriceCache(tmp_path / "afile" / "out")
    with pytest.raises(PriceDataError, match=r"cannot write the cache .*afile/out \(Not a "
                                             r"directory\)"):
        cache.write("LYC.AX", lyc(), META)


def test_a_reader_between_the_two_files_sees_old_or_new(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read after each of the two replacements of one write: the old entry, then the new."""
    cache = PriceCache(tmp_path)
    cache.write("LYC.AX", lyc(), META)
    seen = []
    real = cache_mod.atomic_write

    def write_then_read(path: Path, data: bytes) -> None:
        real(path, data)
        entry = PriceCache(tmp_path).read("LYC.AX")
        assert entry is not None
        seen.append((path.suffix, len(entry.prices), entry.meta["end"]))

    monkeypatch.setattr(cache_mod, "atomic_write", write_then_read)
    cache.write("LYC.AX", lyc().iloc[:20], {**META, "end": "2025-06-30"})
    n = len(lyc())
    assert seen == [(".json", n, "2026-04-30"), (".csv", 20, "2025-06-30")]
