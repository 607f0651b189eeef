"""Deprecated alias (abnormal returns and their variances): the names live in
``eventstudy.inference.abnormal``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.inference.abnormal
from eventstudy._deprecated import alias

alias(__name__, eventstudy.inference.abnormal)
