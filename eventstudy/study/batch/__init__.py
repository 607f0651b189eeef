"""The batch engine: event studies of many (security, benchmark, day 0) pairs at once.

:func:`batch` (exported as ``eventstudy.batch``; contract.md, "Library API") estimates the
normal-return model of every pair and its abnormal returns over the event window, with the
formulas of :mod:`eventstudy.estimation.kernel` that the per-event path uses too.

How it stays fast and flat in memory
------------------------------------
- Two engines compute the same numbers, to about 1e-13 (not bit for bit)
  (:data:`~eventstudy.study.batch.tuning.ENGINE`). The compiled kernels of
  :mod:`eventstudy.estimation._jit` do everything below the resolution of tickers and dates: the
  pairs are grouped by combo, and per combo one pass builds the running sums (below) while its
  two series sit in cache, then one pass per pair takes its estimation sums by differences, fits
  the model and writes its event window in place; the ranges of combos are the thread pool's
  tasks (the kernels release the GIL). numba is imported on the first compiled batch only, which
  also pays the load of the kernels from numba's on-disk cache (about 0.45 s), or their
  compilation (seconds) when that cache holds none. The default, "auto"
  (:func:`~eventstudy.study.batch.engine.chosen_engine`,
  :mod:`~eventstudy.study.batch.choice`), runs calls of fewer than
  :data:`~eventstudy.study.batch.tuning.COMPILED_MIN_PAIRS` pairs, and every call when numba is
  not importable, on the numpy engine; larger ones compiled once the kernels are loaded. While
  they are not, a call pays their load when that costs less than the numpy engine would (from
  :data:`~eventstudy.study.batch.tuning.FIRST_CALL_MIN_PAIRS` pairs, more when the kernels
  would be compiled); a smaller one runs on numpy, and the next call of COMPILED_MIN_PAIRS pairs
  or more loads them. The engines of a process thus depend on its sequence of calls, never on
  timings: the same script gives the same bits on every run; set ``tuning.ENGINE`` to "numba"
  or "numpy" for the same engine on every call. The numpy engine, as follows.
- Estimation sums are differences of running sums. For every distinct (security, benchmark)
  series pair ("combo") the engine builds running sums over the whole index of the count of
  usable rows (both returns present), r', r'm' and r'² (r' = r − c_r, centred on the
  combo's mean first); those of the benchmark (m', m'², centred on its mean) are built once
  per benchmark and corrected exactly for the rows where only the security's return is
  missing. The sums over a pair's estimation window are then a few lookups, O(1) per pair
  instead of O(M). Running sums come from one matrix product per block (sums within groups
  of rows) and a running sum of the group totals
  (:func:`~eventstudy.study.batch.sums._prefix_sums`).
- Combos are processed in blocks whose running sums fit
:data:`~eventstudy.study.batch.tuning.BLOCK_BYTES` (in cache), with
  their pairs grouped by block; each pair's sums land in one row of a table, so memory stays
  bounded whatever the number of pairs (beyond the results themselves).
- With ``threads`` > 1 the blocks, then the chunks of pairs below, are tasks of a thread
  pool: each writes its own rows, and numpy releases the GIL inside array operations, so
  they overlap; the blocks and chunks are the same whatever the threads, and so are the
  numbers. The matrix products stay in pieces OpenBLAS runs on one thread (no
  oversubscription).
- A combo with few pairs, whose estimation windows cover fewer rows than the index, is summed
  directly from its gathered windows instead (exact, and cheaper than a running sum).
- Then the pairs are taken in the caller's order, in chunks of ``chunk_size``: the fit from
  the sums, and the event window (L values of each series gathered per pair), written in
  place into the result arrays: nothing is reordered afterwards. p-values are computed on
  first access (:attr:`BatchResult.car_p`, :attr:`BatchResult.p`).

Conventions: offsets count rows of ``returns``' index; an estimation row enters the fit when
the security's and (for market and market-adjusted models) the benchmark's returns are both
present, so M is the count of such rows: the estimation sample is the returns that exist in
the window, whether it starts before the first row, before a listing or holds an outage (the
per-event path's rule; ``require_full_window=True`` is its strict ``full_estimation``); an
event-window row with a missing return has AR and
se NaN, and the CAR sums the valid ones, with Var(CAR) over those days (S_n = their number).
The returns are taken as given: unlike the per-event path (:mod:`eventstudy.study.single`), which
builds trade-to-trade returns spanning a missing price, a missing return here stays missing.
With ``measure="volume"`` the frame holds log(1 + volume) levels, read as they are (the kind
"level": nothing spans, a missing value stays missing); the same kernels give the abnormal and
cumulative abnormal log volume (constant-mean or market model on the benchmark's log volume).

Modules: :mod:`~eventstudy.study.batch.inputs` (settings, returns matrix, pairs resolved,
exclusion codes and reasons), :mod:`~eventstudy.study.batch.sums` (running sums),
:mod:`~eventstudy.study.batch.fit` (fit and event window), :mod:`~eventstudy.study.batch.result`
(:class:`BatchResult`), :mod:`~eventstudy.study.batch.runner` (threads),
:mod:`~eventstudy.study.batch.engine` (:func:`batch`, the engine choice
:data:`~eventstudy.study.batch.tuning.ENGINE`) and :mod:`~eventstudy.study.batch.choice` (the
engine under "auto": the cost of a call, the kernels' load state, numba's cache).

Examples
--------
>>> res = eventstudy.batch(returns, pairs, estimation=(-250, -11), window=(-10, 10))
... # doctest: +SKIP
>>> res.car, res.car_se, res.car_p, res.excluded  # doctest: +SKIP
>>> res.aggregate(by="event_type")  # AAR/CAAR and the methods.md tests  # doctest: +SKIP

References
----------
.. [1] Campbell, J., Lo, A. and MacKinlay, A. C. (1997) *The Econometrics of Financial
   Markets*, Princeton University Press, §4.3-4.4.
.. [2] MacKinlay, A. C. (1997) "Event Studies in Economics and Finance", Journal of Economic
   Literature 35(1), 13-39.
"""

from eventstudy.study.batch.engine import batch
from eventstudy.study.batch.result import BatchResult

__all__ = ["BatchResult", "batch"]
