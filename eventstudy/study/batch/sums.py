"""Estimation sums of the numpy engine: differences of running sums per (security, benchmark)
combo, built in blocks that fit in cache, or summed directly for combos with few pairs.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy._typing import FloatArray, Window
from eventstudy.study.batch import tuning
from eventstudy.study.batch.fit import _Scratch, _window
from eventstudy.study.batch.runner import _Runner

if TYPE_CHECKING:
    pass



# Estimation sums per model (see _block_sums), and those summed row by row per combo.
_FIELDS = {"market": 6, "constant-mean": 3, "market-adjusted": 3}
_DENSE = {"market": 4, "constant-mean": 3, "market-adjusted": 3}


# --- estimation: sums over each pair's estimation window, then the fit --------------------

def _estimate(values: FloatArray, s: np.ndarray, b: np.ndarray, d: np.ndarray,
              ok: np.ndarray, est: Window, model: str, runner: _Runner
              ) -> tuple[FloatArray, np.ndarray]:
    """The estimation sums of the pairs where ``ok`` is True, and where each pair's row is.

    Returns ``sums`` (rows × (fields + 2 centres)) and ``at``, the row of ``sums`` of each
    pair; the pairs not ``ok`` share the last row (n = 0, NaN sums). A combo with few pairs
    (their estimation windows cover fewer rows than the index) gets the direct path: its
    pairs' estimation windows are gathered and summed exactly. The others get prefix sums
    (:func:`_block_sums`), a block of combos at a time
    (:data:`~eventstudy.study.batch.tuning.BLOCK_BYTES`) with their pairs grouped by block: memory
    stays flat. The rows are written in the order they are computed (contiguous); the event-window
    pass gathers them in the pairs' order. The steps of the direct path and the blocks are
    ``runner``'s tasks, each with its own rows of ``sums`` (and its own workspace).
    """
    n_cols, n_rows = values.shape
    est_len = est[1] - est[0] + 1
    rows = np.flatnonzero(ok)
    sums = np.empty((rows.size + 1, _FIELDS[model] + 2))
    sums[-1] = np.nan
    sums[-1, 0] = 0.0
    at = np.full(s.size, rows.size, np.int64)
    every = rows.size == s.size  # then rows is 0, 1, ...: no indirection
    if not every:
        s, b, d = s[rows], b[rows], d[rows]
    start = d + est[0]  # may be negative: the rows before 0 do not exist (no return)
    hi = np.maximum(start + est_len, 0)
    inverse, combos = pd.factorize(s * n_cols + b)
    counts = np.bincount(inverse, minlength=combos.size)
    direct = counts * est_len <= tuning.DIRECT_RATIO * n_rows

    on_direct = np.flatnonzero(direct[inverse])
    at[on_direct if every else rows[on_direct]] = np.arange(on_direct.size)
    step = max(1, tuning.DIRECT_ELEMENTS // est_len)

    def direct_step(p0: int) -> None:
        sel = on_direct[p0:p0 + step]
        sums[p0:p0 + sel.size] = _direct_sums(values, s[sel], b[sel], start[sel], est_len,
                                              model).T

    runner.map(direct_step, range(0, on_direct.size, step))
    filled = on_direct.size

    running = np.flatnonzero(~direct)
    if not running.size:
        return sums, at
    # combo rank and end of each pair in one integer: one gather after the sort by block
    if running.size == combos.size:  # no direct combo: the ranks are the combo codes
        picked = np.arange(inverse.size)
        packed = inverse * (n_rows + 1)
        packed += hi
    else:
        rank = np.full(combos.size, -1, np.int64)
        rank[running] = np.arange(running.size)
        pair_rank = rank[inverse]
        picked = np.flatnonzero(pair_rank >= 0)
        packed = pair_rank[picked] * (n_rows + 1) + hi[picked]
    per_block = max(1, tuning.BLOCK_BYTES // (n_rows * _DENSE[model] * 8))
    n_blocks = (running.size - 1) // per_block + 1
    starts = np.zeros(n_blocks + 1, np.int64)
    if n_blocks > 1:
        block = packed // (per_block * (n_rows + 1))
        small = np.uint16 if n_blocks <= np.iinfo(np.uint16).max else np.int64
        order = np.argsort(block.astype(small), kind="stable")  # by block, then pair
        picked, packed = picked[order], packed[order]
        np.cumsum(np.bincount(block, minlength=n_blocks), out=starts[1:])
    else:
        starts[1] = picked.size
    at[picked if every else rows[picked]] = np.arange(filled, filled + picked.size)
    edges = np.arange(n_blocks + 1) * per_block
    edges[-1] = running.size
    combo_s, combo_b = combos[running] // n_cols, combos[running] % n_cols
    bench = _Benchmarks(values, np.unique(combo_b)) if model == "market" else None
    workspace = _Scratch(lambda: _Workspace(min(per_block, running.size), n_rows,
                                            _DENSE[model]))

    def block(i: int) -> None:
        c0, c1 = int(edges[i]), int(edges[i + 1])
        p0, p1 = int(starts[i]), int(starts[i + 1])
        combo, end = np.divmod(packed[p0:p1], n_rows + 1)
        combo -= c0
        with workspace() as work:
            sums[filled + p0:filled + p1] = _block_sums(
                values, combo_s[c0:c1], combo_b[c0:c1], model, combo,
                np.maximum(end - est_len, 0), end, bench, work).T

    runner.map(block, range(n_blocks))
    return sums, at


class _Workspace:
    """Buffers for the blocks of combos, allocated once (fresh memory costs page faults)."""

    def __init__(self, n_combos: int, n_rows: int, n_fields: int) -> None:
        self.group = group = tuning.PREFIX_GROUP
        self.padded = (n_rows // group + 1) * group  # beyond the last bound, q = n_rows
        self.fields = np.empty(n_fields * n_combos * self.padded)
        self.within = np.empty(n_fields * n_combos * self.padded // group * (group + 1))
        self.r = np.empty((n_combos, n_rows))
        self.invalid = np.empty((n_combos, n_rows), bool)

    def take(self, n_fields: int, n_combos: int) -> tuple[FloatArray, FloatArray]:
        """The fields (fields, combos, padded rows) and the within-group sums (flat)."""
        size = n_fields * n_combos * self.padded
        return (self.fields[:size].reshape(n_fields, n_combos, self.padded),
                self.within[:size // self.group * (self.group + 1)])


class _Benchmarks:
    """Running sums of the benchmarks' returns, each centred on its mean (market model).

    ``prefix`` holds, per benchmark and row q, the number of benchmark returns before q and
    the sums of m' = m − c_m and m'² over them (one flat row per quantity).
    """

    def __init__(self, values: FloatArray, columns: np.ndarray) -> None:
        n_rows = values.shape[1]
        self.where = np.full(values.shape[0], -1, np.int64)
        self.where[columns] = np.arange(columns.size)
        m = values[columns]
        self.valid = ~np.isnan(m)
        self.holes = ~self.valid.all(axis=1)
        count = self.valid.sum(axis=1)
        m[~self.valid] = 0.0
        self.centre = m.sum(axis=1) / np.maximum(count, 1)
        m -= self.centre[:, None]
        m[~self.valid] = 0.0
        self.m = m
        self.mm = m * m
        prefix = np.zeros((3, columns.size, n_rows + 1))
        np.cumsum(self.valid, axis=1, out=prefix[0, :, 1:])
        np.cumsum(self.m, axis=1, out=prefix[1, :, 1:])
        np.cumsum(self.mm, axis=1, out=prefix[2, :, 1:])
        self.prefix = prefix.reshape(3, -1)


def _direct_sums(values: FloatArray, s: np.ndarray, b: np.ndarray, start: np.ndarray,
                 length: int, model: str) -> FloatArray:
    """The estimation sums of each pair from its gathered window (the exact, O(M) path).

    Same fields, and centres below them, as :func:`_block_sums`, with each pair's own means
    as centres.
    """
    r = _window(values, s, start, length)
    m = None if model == "constant-mean" else _window(values, b, start, length)
    valid = ~np.isnan(r) if m is None else ~(np.isnan(r) | np.isnan(m))
    n_fields = _FIELDS[model]
    w = np.zeros((n_fields + 2, s.size))
    centres = w[n_fields:]
    w[0] = valid.sum(axis=1)
    if model == "market-adjusted":
        assert m is not None
        dev = np.where(valid, r - m, 0.0)
        r0 = np.where(valid, r, 0.0)
        w[1] = np.einsum("ij,ij->i", dev, dev)
        w[2] = np.einsum("ij,ij->i", r0, r0)
        return w
    count = np.maximum(w[0], 1.0)
    centres[0] = np.where(valid, r, 0.0).sum(axis=1) / count
    r0 = np.where(valid, r - centres[0][:, None], 0.0)
    w[1] = r0.sum(axis=1)
    if m is None:
        w[2] = np.einsum("ij,ij->i", r0, r0)
        return w
    centres[1] = np.where(valid, m, 0.0).sum(axis=1) / count
    m0 = np.where(valid, m - centres[1][:, None], 0.0)
    w[2] = m0.sum(axis=1)
    w[3] = np.einsum("ij,ij->i", r0, m0)
    w[4] = np.einsum("ij,ij->i", m0, m0)
    w[5] = np.einsum("ij,ij->i", r0, r0)
    return w


def _block_sums(values: FloatArray, cs: np.ndarray, cb: np.ndarray, model: str,
                combo: np.ndarray, lo: np.ndarray, hi: np.ndarray, bench: _Benchmarks | None,
                work: _Workspace) -> FloatArray:
    """Estimation sums over rows [lo, hi) of each pair of a block of combos.

    Returns the fields × pairs, then the centres c_r and c_m. Fields: market, count, r', m',
    r'm', m'², r'² with r' = r − c_r, m' = m − c_m; constant-mean, count, r', r'²;
    market-adjusted, count, (r − m)², r² (raw: nothing is estimated, and squares do not
    cancel). c_r is the security's mean over the combo's usable rows, c_m the benchmark's
    over its returns.

    Notes
    -----
    Only the security side is summed per combo: the usable-row indicator, r', r'm' and r'²
    (market; zero on the rows where r or m is missing), by :func:`_prefix_sums`. The
    benchmark's m' and m'² are summed once per benchmark (:class:`_Benchmarks`, over its own
    returns) and corrected exactly for the rows where only the security's return is missing:
    those rows, in order, form a short list with running sums of m' and m'²; the number of
    them before row q is C_m(q) − C(q), the benchmark's returns before q less the combo's
    usable rows, so the correction is two lookups as well.
    """
    n_rows = values.shape[1]
    nc = cs.size
    n_fields = _FIELDS[model]
    dense = _DENSE[model]
    fields, within = work.take(dense, nc)
    fields[:, :, n_rows:] = 0.0
    f = fields[:, :, :n_rows]
    w = np.zeros((n_fields + 2, combo.size))
    r = np.take(values, cs, axis=0, out=work.r[:nc], mode="clip")  # scratch (unbuffered)
    invalid = np.isnan(r, out=work.invalid[:nc])
    r_missing = invalid
    m_valid = None
    if model == "market":
        assert bench is not None
        j = bench.where[cb]
        pick = j[:1] if (j == j[0]).all() else j  # one benchmark: broadcast its row
        if bench.holes[pick].any():
            m_valid = bench.valid[pick]
            invalid = invalid | ~m_valid
    elif model == "market-adjusted":
        m = values[cb[:1]] if (cb == cb[0]).all() else values[cb]
        invalid = invalid | np.isnan(m)
    np.logical_not(invalid, out=f[0])
    np.copyto(r, 0.0, where=invalid)
    if model == "market-adjusted":
        np.subtract(r, m, out=f[1])
        np.copyto(f[1], 0.0, where=invalid)
        np.multiply(f[1], f[1], out=f[1])
        np.multiply(r, r, out=f[2])
    else:
        n_usable = f[0].sum(axis=1)
        c_r = r.sum(axis=1) / np.maximum(n_usable, 1.0)
        np.subtract(r, c_r[:, None], out=f[1])
        np.copyto(f[1], 0.0, where=invalid)
        if model == "constant-mean":
            np.multiply(f[1], f[1], out=f[2])
        else:
            np.multiply(f[1], bench.m[pick], out=f[2])
            np.multiply(f[1], f[1], out=f[3])
        w[n_fields] = c_r[combo]
    del r, f

    s_lo, s_hi = _prefix_sums(fields, combo, lo, hi, within)
    np.subtract(s_hi[0], s_lo[0], out=w[0])
    if model != "market":
        np.subtract(s_hi[1:], s_lo[1:], out=w[1:n_fields])
        return w

    assert bench is not None
    for into, f in ((1, 1), (3, 2), (5, 3)):
        np.subtract(s_hi[f], s_lo[f], out=w[into])
    # rows where only the security's return is missing: their m' and m'² come out again
    at_gap = np.flatnonzero(r_missing if m_valid is None else r_missing & m_valid)
    g_bench = pick[0] if pick.size == 1 else pick[at_gap // n_rows]
    g_flat = g_bench * n_rows + at_gap % n_rows
    gaps = np.zeros((2, at_gap.size + 1))
    np.cumsum(bench.m.reshape(-1).take(g_flat), out=gaps[0, 1:])
    np.cumsum(bench.mm.reshape(-1).take(g_flat), out=gaps[1, 1:])
    # the gaps before row q of combo c: those of the combos before c, plus C_m(q) − C(q)
    jp = bench.where[cb] * (n_rows + 1)
    gap_total = bench.prefix[0].take(jp + n_rows) - n_usable
    before = (np.cumsum(gap_total) - gap_total)[combo]
    jp = jp[combo]
    g_lo = (before + bench.prefix[0].take(jp + lo) - s_lo[0]).astype(np.int64)
    g_hi = (before + bench.prefix[0].take(jp + hi) - s_hi[0]).astype(np.int64)
    for quantity, into in ((1, 2), (2, 4)):
        np.subtract(bench.prefix[quantity].take(jp + hi), bench.prefix[quantity].take(jp + lo),
                    out=w[into])
        w[into] -= gaps[quantity - 1].take(g_hi) - gaps[quantity - 1].take(g_lo)
    w[7] = bench.centre[bench.where[cb]][combo]
    return w


def _prefix_sums(fields: FloatArray, combo: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 within: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """S(lo) and S(hi) of each field for each pair: the sums over its combo's rows before.

    ``fields`` is (fields, combos, rows), the rows padded with zeros to a multiple of
    :data:`~eventstudy.study.batch.tuning.PREFIX_GROUP` beyond the last bound; ``within`` a buffer
    of as many values times (g + 1)/g. Returns two arrays (fields, pairs).

    Notes
    -----
    Two levels: the rows are cut in groups of g =
    :data:`~eventstudy.study.batch.tuning.PREFIX_GROUP`; one matrix product with a strictly upper
    triangular matrix of ones (plus a column of ones) gives the sums within each group before every
    row, and each group's total; the running sum of the group totals (g times fewer values than
    rows) gives the sums before each group. Then S(q) = Σ_{groups before q} + Σ_{rows of q's group
    before q}. A matrix product of 0/1 entries is exact, so the counts are exact integers; the
    running sums restart at each combo, so the rounding error of a sum is that of its own combo's
    magnitudes.
    """
    n_fields, nc, padded = fields.shape
    group = tuning.PREFIX_GROUP
    n_groups = padded // group
    a = fields.reshape(-1, group)
    within = (np.empty((a.shape[0], group + 1)) if within is None
              else within.reshape(-1, group + 1))
    # in pieces that OpenBLAS runs on one thread (m·n·k under its 4 · 65536): on a shared
    # machine a second thread waiting for a busy core costs more than it saves
    step = max(1, 4 * 65536 // (group * (group + 1)) - 1)
    for i in range(0, a.shape[0], step):
        np.matmul(a[i:i + step], _upper(group), out=within[i:i + step])
    within = within.reshape(n_fields, nc, n_groups, group + 1)
    before = np.empty((n_fields, nc, n_groups))
    before[:, :, 0] = 0.0
    np.cumsum(within[:, :, :-1, group], axis=2, out=before[:, :, 1:])
    dense = combo.size * 16 > nc * padded  # many pairs: S at every row, then one lookup
    if dense:
        within[..., :group] += before[..., None]
    before = before.reshape(n_fields, -1)
    within = within.reshape(n_fields, -1)
    out = []
    for q in (lo, hi):
        g = combo * n_groups + q // group
        at = g * (group + 1) + q % group
        s = np.empty((n_fields, combo.size))
        for f in range(n_fields):
            if dense:
                within[f].take(at, out=s[f])
            else:
                np.add(before[f].take(g), within[f].take(at), out=s[f])
        out.append(s)
    return out[0], out[1]


@functools.cache
def _upper(group: int) -> FloatArray:
    """g × (g + 1): ones above the diagonal, and a last column of ones (the group's total)."""
    upper = np.triu(np.ones((group, group + 1)), 1)
    upper[:, group] = 1.0
    return upper
