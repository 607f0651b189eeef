"""Deprecated alias (the aggregation over pairs): the names live in
``eventstudy.inference.aggregate`` and ``eventstudy.study.arrays``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.inference.aggregate
import eventstudy.study.arrays
from eventstudy._deprecated import alias

alias(__name__, eventstudy.inference.aggregate, eventstudy.study.arrays)
