"""Deprecated alias (the closed-form kernels): the names live in ``eventstudy.estimation.kernel``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.estimation.kernel
from eventstudy._deprecated import alias

alias(__name__, eventstudy.estimation.kernel)
