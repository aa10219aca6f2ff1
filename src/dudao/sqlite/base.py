"""SQLite for many threads: a process's write transactions queue in turn before they ask SQLite for its lock.

SQLite lets one writer in and makes the others *poll*: sleep, retry, sleep longer, until the busy timeout. Polling is
unfair — with 48 autosaves at once a thread can lose round after round while later ones get in, and fail with
"database is locked" although the queue as a whole is moving — and it leaves the lock idle while every waiter
sleeps. So within one process, a transaction (``IMMEDIATE``: every ``atomic()`` block may write) first waits on a
Python lock, which hands over the moment the previous writer commits, and only then begins; SQLite's own busy wait
is left for writers of *other* processes (another gunicorn worker, a batch worker, a backup) and gets what remains
of the busy timeout, so a request never waits longer than the timeout in all — then :mod:`dudao.busy` answers 503.
"""

from __future__ import annotations

import threading
import time

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_gates: dict[str, threading.Lock] = {}
_gates_guard = threading.Lock()


def _gate(name: object) -> threading.Lock:
    """The one writers' queue of this process for the database file ``name``."""
    with _gates_guard:
        return _gates.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _held: threading.Lock | None = None
    _shortened = False

    def _timeout(self) -> float:
        return float(self.settings_dict["OPTIONS"].get("timeout", 5))

    def _start_transaction_under_autocommit(self):
        timeout = self._timeout()
        gate = _gate(self.settings_dict["NAME"])
        started = time.monotonic()
        if not gate.acquire(timeout=timeout):
            raise OperationalError(f"database is locked (waited {timeout:g} s for this process's other writers)")
        self._held = gate
        try:
            waited = time.monotonic() - started
            if waited > 0.01:  # SQLite's busy wait gets only the rest of the timeout
                self.connection.execute(f"PRAGMA busy_timeout = {int(max(timeout - waited, 0.05) * 1000)}")
                self._shortened = True
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_gate()
            raise

    def _release_gate(self) -> None:
        gate, self._held = self._held, None
        if gate is None:
            return
        gate.release()
        if self._shortened and self.connection is not None:
            self._shortened = False
            self.connection.execute(f"PRAGMA busy_timeout = {int(self._timeout() * 1000)}")

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_gate()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_gate()

    def _close(self):
        self._shortened = False  # the connection goes: no busy timeout to restore
        self._release_gate()
        return super()._close()
