"""Deprecated alias (model sensitivity): the names live in ``eventstudy.study.sensitivity``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.study.sensitivity
from eventstudy._deprecated import alias

alias(__name__, eventstudy.study.sensitivity)
