"""Deprecated alias (pooled studies): the names live in ``eventstudy.study.pooled``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.study.pooled
from eventstudy._deprecated import alias

alias(__name__, eventstudy.study.pooled)
