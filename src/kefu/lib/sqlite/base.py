"""The ``kefu.lib.sqlite`` database engine (see the package's docstring)."""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base

# One per process: every connection to the embedded database takes turns on it.
_writer = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite backend whose write transactions queue on a process-wide lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        _writer.acquire()
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in stubs
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private hooks are not in the stubs
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private hooks are not in the stubs
        finally:
            self._release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_writer()

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _writer.release()
