"""Deprecated alias (the batch engine): the names live in ``eventstudy.study.batch`` and
``eventstudy.study.batch.tuning``.

See :mod:`eventstudy._deprecated`.
"""

import eventstudy.study.batch
import eventstudy.study.batch.tuning
from eventstudy._deprecated import alias

alias(__name__, eventstudy.study.batch, eventstudy.study.batch.tuning)
