"""One run at a time on a warehouse: the lock a run holds from its start to its end.

DuckDB lets one process write a file, but two runs can still take turns step by step and mix
their results (one run's March customers under the other's June report). So every run that
writes the warehouse, whether started from the command line, the UI, the schedule or the sensor,
first takes ``<warehouse>.run-lock`` for its whole length; a second run waits for it, saying
which run it waits for, and then runs on the tables the first one finished. The lock is an
operating-system file lock (the ``filelock`` library): it is released when the holding process
ends, even when it is killed, so a crashed run never blocks the next one.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout


class RunLockTimeout(RuntimeError):
    """Another run held the warehouse for longer than this run was willing to wait."""


def lock_path(warehouse_path: str | Path) -> Path:
    """The lock file of a warehouse: beside it, named after it."""
    return Path(f"{warehouse_path}.run-lock")


def _holder_path(warehouse_path: str | Path) -> Path:
    return Path(f"{warehouse_path}.run-lock.json")


def current_holder(warehouse_path: str | Path) -> dict[str, str] | None:
    """Who holds the warehouse's run lock, as the holder wrote it (pid, host, since, run), or None."""
    try:
        return json.loads(_holder_path(warehouse_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _describe(holder: dict[str, str] | None) -> str:
    if not holder:
        return "another run"
    return (f"the run {holder.get('run', '?')} (process {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"started {holder.get('since', '?')} UTC)")


class RunLock:
    """The run lock of one warehouse, taken by ``acquire`` and given back by ``release``."""

    def __init__(self, warehouse_path: str | Path, timeout_seconds: float, run_id: str = "") -> None:
        self.warehouse_path = Path(warehouse_path)
        self.timeout_seconds = timeout_seconds
        self.run_id = run_id
        self._lock: FileLock | None = None

    def acquire(self, say: Callable[[str], None]) -> None:
        """Take the lock, waiting up to ``timeout_seconds`` for the run that holds it; ``say`` is
        told once that this run waits, and for whom. Where no lock file can be made (the warehouse's
        folder cannot be created), no run can write the warehouse either: the run goes on without
        the lock, and ``say`` is told why, so that its steps report what is wrong with the path."""
        lock = FileLock(str(lock_path(self.warehouse_path)))
        try:
            self.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire(timeout=0)
        except Timeout:
            say(f"Waiting for {_describe(current_holder(self.warehouse_path))} to finish with "
                f"{self.warehouse_path} (this run starts when it ends; waiting up to "
                f"{self.timeout_seconds / 60:.0f} minutes).")
            try:
                lock.acquire(timeout=self.timeout_seconds)
            except Timeout:
                raise RunLockTimeout(
                    f"{self.warehouse_path} was still held by {_describe(current_holder(self.warehouse_path))} "
                    f"after {self.timeout_seconds / 60:.0f} minutes; this run did not start. Start it again "
                    "when that run has ended (or raise CRM_RUN_LOCK_TIMEOUT).") from None
        except OSError as error:  # after Timeout, which is an OSError too
            say(f"No run lock for {self.warehouse_path}: {error}. The run goes on without it.")
            return
        self._lock = lock
        holder = {"pid": str(os.getpid()), "host": socket.gethostname(), "run": self.run_id or "?",
                  "since": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}
        _holder_path(self.warehouse_path).write_text(json.dumps(holder), encoding="utf-8")

    def release(self) -> None:
        """Give the lock back (nothing happens when it is not held)."""
        if self._lock is None:
            return
        _holder_path(self.warehouse_path).unlink(missing_ok=True)
        self._lock.release()
        self._lock = None
