"""Deprecated alias (the normal-return models): the names live in ``eventstudy.estimation.models``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.estimation.models
from eventstudy._deprecated import alias

alias(__name__, eventstudy.estimation.models)
