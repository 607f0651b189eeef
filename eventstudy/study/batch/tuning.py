"""The batch engine's tunable constants, in one place.

The engine's modules read them at call time (``tuning.ENGINE``), so that one assignment, e.g.
``eventstudy.study.batch.tuning.ENGINE = "numpy"``, changes every use. None of them changes a
number: blocks, chunks and thread counts only move work around (tests/test_batch.py).
"""

# Bytes of running sums built at once (a block of combos). Whatever the threads: a block's
# composition sets the rounding of its gap corrections, and threads must not change numbers.
# 2 MB suited one thread best (in cache); 8 MB blocks make each numpy call long enough without
# the GIL for two threads to overlap (2 MB blocks hardly do) and cost one thread little.
BLOCK_BYTES = 8 * 2**20
# A combo takes the direct path when its pairs' estimation windows cover at most this many
# times the rows of the index (the running sums would cost more).
DIRECT_RATIO = 1.0
# Largest residual matrices (pairs × sessions, floats) that BatchResult.aggregate builds.
AGGREGATE_ELEMENTS = 2**27
# Rows per group of the two-level prefix sums (_prefix_sums).
PREFIX_GROUP = 16
# Estimation-window values gathered at once on the direct path.
DIRECT_ELEMENTS = 2**17
# p-values computed per task when BatchResult.car_p spreads them over threads.
P_CHUNK = 2**15
# The engine: "auto" (the compiled kernels of eventstudy.estimation._jit when numba is importable
# and the call has COMPILED_MIN_PAIRS pairs or more, by the expected cost of the call while they
# are not loaded: choice.py; else numpy), "numba" or "numpy" (the vectorised path of sums.py and
# fit.py, also the fallback).
ENGINE = "auto"
# Under "auto", calls of fewer pairs run on the numpy engine: at 1k pairs it takes
# 9 ms against the compiled engine's 7 ms warm, but the compiled engine's first call in a process
# pays 0.3-0.6 s to load numba and its kernels (seconds to compile them on a fresh install).
# Measured in benchmarks/bench_batch.py (first call and warm, both engines).
COMPILED_MIN_PAIRS = 10_000
# Under "auto", the first call of COMPILED_MIN_PAIRS pairs or more in a process loads the
# compiled kernels from this many pairs on; below, it runs on numpy (the next such call loads
# them). The crossover of the two engines' first calls, numba's on-disk cache filled (fresh
# processes on the universe of benchmarks/bench_batch.py, 2,000 securities x 2,500 sessions,
# 2 runs per cell, seconds): at 200k pairs numpy 0.48-0.64 against compiled 0.61-0.64 (the load,
# about 0.45, + 0.16 warm), at 300k numpy 0.80-1.23 against 0.70-0.73. The benchmark's table
# "First call and warm calls" checks the rule from 1k to 1M pairs.
FIRST_CALL_MIN_PAIRS = 200_000
# The same when numba's cache holds no kernels for this source (choice.kernels_cached), so the
# first compiled call compiles them (about 4 s): at 1M pairs numpy 3.7-4.6 against compiled
# 5.8-6.4, at 2M 9.0-12.1 against 8.2-9.0 (same scan, an empty NUMBA_CACHE_DIR).
FIRST_CALL_MIN_PAIRS_COMPILE = 1_500_000
# Fewer pairs run on one thread by default (measured on 2 cores: threads gain nothing there).
THREAD_MIN_PAIRS = 50_000
