"""Test-session settings: the calendar cache lives in a folder of this session's own (the
user's cache folder is never written by the tests; subprocesses inherit the setting)."""

from __future__ import annotations

import os
import tempfile

os.environ["EVENTSTUDY_CALENDAR_CACHE"] = tempfile.mkdtemp(prefix="eventstudy-calendars-")
