"""Deprecated alias (returns): the names live in ``eventstudy.estimation.returns``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.estimation.returns
from eventstudy._deprecated import alias

alias(__name__, eventstudy.estimation.returns)
