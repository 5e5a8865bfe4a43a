"""Watching the inbox: whether new or changed exports have landed and finished arriving, so that the
inbox sensor (pipelines/sensors.py) starts one run for them.

A file counts by its content (SHA-256, as raw.load_log records it): one already loaded, or already
seen by the sensor, never starts a run, even renamed or touched. A file still being written (its
size or modification time changed within ``settle_seconds``) makes the sensor wait, and so does
every other file of the burst: the run starts once the whole burst has settled, one run for all of
it. Only files whose size or time changed since the last look are read again for their hash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.common.sql import SqlFolder
from assets.common.tables import table_exists
from assets.ingest.file_types import ignore_reason
from assets.ingest.inbox import inbox_paths
from assets.ingest.readers import file_sha256

SQL = SqlFolder(__file__)

@dataclass(frozen=True)
class InboxLook:
    """What one look at the inbox decided: the files that start a run (empty: none), or the
    reason to wait, and the memory to keep for the next look."""

    new_files: tuple[str, ...]
    waiting_for: tuple[str, ...]
    memory: dict[str, list] = field(default_factory=dict)

    @property
    def run_key(self) -> str:
        """One key per set of new contents, so the same burst never starts two runs."""
        hashes = sorted(self.memory[name][2] for name in self.new_files)
        return "inbox-" + hashlib.sha256("\n".join(hashes).encode("utf-8")).hexdigest()[:24]


def look_at_inbox(inbox_dir: Path, memory: dict[str, list], known_hashes: Callable[[], Iterable[str]],
                  now_ns: int, settle_seconds: float) -> InboxLook:
    """Compare the inbox with ``memory`` (relative name → [size, mtime_ns, sha256] at the last look)
    and the hashes the warehouse already loaded (``known_hashes``, asked only when a file changed)."""
    settle_ns = int(settle_seconds * 1e9)
    current: dict[str, list] = {}
    waiting, changed = [], []
    for name, path in inbox_paths(inbox_dir):
        if ignore_reason(name) is not None:  # what the loader skips (lock files, downloads) counts for nothing
            continue
        stat = path.stat()
        if now_ns - stat.st_mtime_ns < settle_ns:
            waiting.append(name)
            continue
        seen = memory.get(name)
        if seen and seen[0] == stat.st_size and seen[1] == stat.st_mtime_ns:
            current[name] = seen
        else:
            current[name] = [stat.st_size, stat.st_mtime_ns, file_sha256(path)]
            changed.append(name)
    if waiting:  # a burst still arriving: look again, remember nothing new yet
        return InboxLook((), tuple(waiting), memory)
    if not changed:
        return InboxLook((), (), current)
    old = {entry[2] for entry in memory.values()} | set(known_hashes())
    new = tuple(name for name in changed if current[name][2] not in old)
    return InboxLook(new, (), current)


def known_file_hashes(warehouse_path: str | Path) -> set[str]:
    """The file contents the warehouse's runs have already seen (none when there is no warehouse
    yet). Opened read-only; raises when a run holds the file for writing."""
    if not Path(warehouse_path).is_file():
        return set()
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        present = {"inbox_files": table_exists(conn, "raw.inbox_files"), "load_log": table_exists(conn, "raw.load_log")}
        if not any(present.values()):
            return set()
        return {row[0] for row in SQL.rows(conn, "known_file_hashes", present)}
