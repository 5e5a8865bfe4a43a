"""Backups taken before each run, and putting one back.

A run that holds the warehouse (run_lock.py) first copies, into ``<backups>/<time>/``, the
warehouse file (and its write-ahead log, when a killed run left one), the saved models and the
report set ``latest/`` shows. Nothing else writes the warehouse while the run lock is held, so the
copy is consistent. The newest ``CRM_BACKUPS_KEEP`` backups are kept (default 7; 0 turns backups
off). ``python -m pipelines restore <backup>`` puts all three back, under the same lock.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from assets.common.files import link_or_copy

MANIFEST = "backup.json"
WAREHOUSE_FILE = "warehouse.duckdb"
MODELS = "models"
REPORT_SET = "reports"


class BackupError(RuntimeError):
    """A backup that cannot be restored (names the folder and what is wrong)."""


def default_backup_dir(warehouse_path: str | Path) -> Path:
    """Where backups go unless CRM_BACKUP_DIR says otherwise: ``backups/`` beside the warehouse."""
    return Path(warehouse_path).resolve().parent / "backups"


def make_backup(warehouse_path: str | Path, models_dir: str | Path, reports_dir: str | Path,
                backup_dir: str | Path, keep: int, label: str = "") -> Path | None:
    """Copy the warehouse, the models and the latest report set into a new folder of
    ``backup_dir`` (written under a temporary name, then renamed: a half-made backup never looks
    whole), remove backups beyond the newest ``keep``, and return the new folder; None when
    ``keep`` is 0 or there is no warehouse yet."""
    warehouse = Path(warehouse_path)
    if keep <= 0 or not warehouse.is_file():
        return None
    root = Path(backup_dir)
    root.mkdir(parents=True, exist_ok=True)
    taken = datetime.now(UTC)
    name = taken.strftime("%Y%m%dT%H%M%S%fZ")
    partial = root / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    shutil.copy2(warehouse, partial / WAREHOUSE_FILE)
    wal = Path(f"{warehouse}.wal")
    if wal.is_file():
        shutil.copy2(wal, partial / f"{WAREHOUSE_FILE}.wal")
    if Path(models_dir).is_dir():
        shutil.copytree(models_dir, partial / MODELS)
    latest = Path(reports_dir) / "latest"
    if latest.is_dir():
        # follows the link: the pages themselves, hard-linked where the file system allows
        shutil.copytree(latest, partial / REPORT_SET, copy_function=link_or_copy)
    manifest = {"taken_at": taken.isoformat(), "label": label, "warehouse": str(warehouse.resolve()),
                "latest_as_of": _as_of_shown(Path(reports_dir))}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.replace(partial, root / name)
    for old in list_backups(root)[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return root / name


def list_backups(backup_dir: str | Path) -> list[Path]:
    """The complete backups in ``backup_dir``, newest first."""
    root = Path(backup_dir)
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if (p / MANIFEST).is_file() and not p.name.startswith(".")),
                  key=lambda p: p.name, reverse=True)


def restore_backup(backup: str | Path, warehouse_path: str | Path, models_dir: str | Path) -> dict[str, str]:
    """Put the backup's warehouse and models back (the caller holds the run lock, and republishes
    the report set of ``saved_report_set``); return the backup's manifest."""
    folder = Path(backup)
    if not (folder / MANIFEST).is_file() or not (folder / WAREHOUSE_FILE).is_file():
        raise BackupError(f"{folder} is not a complete backup (no {MANIFEST} or {WAREHOUSE_FILE} in it)")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    warehouse = Path(warehouse_path)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(folder / WAREHOUSE_FILE, warehouse)
    wal, saved_wal = Path(f"{warehouse}.wal"), folder / f"{WAREHOUSE_FILE}.wal"
    if saved_wal.is_file():
        _replace_file(saved_wal, wal)
    else:
        wal.unlink(missing_ok=True)
    models = Path(models_dir)
    shutil.rmtree(models, ignore_errors=True)
    if (folder / MODELS).is_dir():
        shutil.copytree(folder / MODELS, models)
    return manifest


def _replace_file(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.restoring")
    shutil.copy2(source, temporary)
    os.replace(temporary, target)


def _as_of_shown(reports_dir: Path) -> str:
    """The as-of date whose folder ``latest`` shows ('' when none does)."""
    latest = reports_dir / "latest"
    if not latest.exists():
        return ""
    for entry in reports_dir.iterdir():
        if entry.name != "latest" and entry.is_symlink() and entry.resolve() == latest.resolve():
            return entry.name
    return ""


def saved_report_set(backup: str | Path) -> tuple[Path, str] | None:
    """The report pages a backup holds and the as-of date latest/ showed ('' when unknown), or None."""
    folder = Path(backup)
    if not (folder / REPORT_SET).is_dir():
        return None
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return folder / REPORT_SET, manifest.get("latest_as_of") or ""
