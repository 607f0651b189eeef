"""Deprecated alias (the cross-sectional tests): the names live in
``eventstudy.inference.significance``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.inference.significance
from eventstudy._deprecated import alias

alias(__name__, eventstudy.inference.significance)
