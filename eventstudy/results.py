"""Deprecated alias (the result objects): the names live in ``eventstudy.study.results``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.study.results
from eventstudy._deprecated import alias

alias(__name__, eventstudy.study.results)
