"""A fingerprint of everything a run produces on the default sample: every warehouse table (row
count and an order-independent content hash) and every report page (a content hash).

It guards reorganisations of the code: moving modules, SQL into files or settings into one run
context must leave every table and page as it was. The recorded fingerprint is
``tests/fingerprints/default_sample.json``; ``test_fingerprint.py`` compares a fresh run with it.

What is left out, because it differs between two runs of the same code: the wall-clock columns
(when a row was loaded, rejected, validated, scanned or built, the files' modification times, run
ids; on a page, the run id and start time). Floating-point values are compared to 6 significant
digits (in tables and in the numbers of a page), so the last bits of a BLAS routine on another
CPU do not count as a change.

Record after an intended change of behaviour (and say so in the commit)::

    .venv/bin/python -m tests.fingerprint record
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

RECORDED = Path(__file__).parent / "fingerprints" / "default_sample.json"
# The sample `make run` generates (Makefile SAMPLE_CUSTOMERS, SAMPLE_SEED).
SAMPLE_CUSTOMERS = 2000
SAMPLE_SEED = 7
SOURCE_DATE_EPOCH = "1767225600"
CLOCK_COLUMNS = frozenset({
    "_loaded_at", "loaded_at", "rejected_at", "validated_at", "scanned_at", "built_at",
    "_file_modified_at", "file_modified_at", "file_mtime_ns", "run_id",
})
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
_LONG_FLOAT = re.compile(r"-?\d+\.\d{7,}(?:[eE][-+]?\d+)?")
# On a page, the run's id and when it started (the data-quality page names the run it checked).
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The chart of check results over runs labels a run by its start, and adds " · <the first 8
# characters of its id>" when two runs started in the same minute.
_SHORT_RUN_ID = re.compile(r"(?<=<clock>)(?: ·| \\u00b7) [0-9a-f]{8}\b")
_CLOCK_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?|\d{1,2} \w{3} \d{4} \d{2}:\d{2}(?: UTC)?"
                         r"|\d{4}(?:年|\\u5e74)\d{1,2}(?:月|\\u6708)\d{1,2}(?:日|\\u65e5) ?\d{2}:\d{2}(?: UTC)?")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_text(name: str, data_type: str) -> str:
    if data_type in _FLOAT_TYPES:
        return f"printf('%.6g', {_quoted(name)})"
    return f"CAST({_quoted(name)} AS VARCHAR)"


def table_fingerprints(warehouse: Path) -> dict[str, list]:
    """``{"schema.table": [row_count, sha256]}`` for every table and view of the warehouse; the hash
    is over the sorted per-row digests, so row order does not count."""
    prints: dict[str, list] = {}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY 1, 2").fetchall()
        for schema, table in tables:
            columns = conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position", [schema, table]).fetchall()
            kept = [_column_text(name, data_type) for name, data_type in columns if name not in CLOCK_COLUMNS]
            row_text = " || chr(31) || ".join(f"coalesce({c}, chr(0))" for c in kept) or "''"
            qualified = f"{_quoted(schema)}.{_quoted(table)}"
            count, digest = conn.execute(
                f"SELECT count(*), sha256(coalesce(string_agg(d, ',' ORDER BY d), '')) "
                f"FROM (SELECT sha256({row_text}) AS d FROM {qualified})").fetchall()[0]
            prints[f"{schema}.{table}"] = [count, digest]
    return prints


def _rounded(match: re.Match) -> str:
    return f"{float(match.group()):.6g}"


def page_fingerprints(reports_latest: Path) -> dict[str, str]:
    """``{"page.html": sha256}`` for every file published in ``latest/``, numbers with more than six
    decimals rounded to six significant digits first."""
    prints = {}
    for page in sorted(p for p in reports_latest.rglob("*") if p.is_file()):
        text = page.read_bytes().decode("utf-8", errors="surrogateescape")
        text = _SHORT_RUN_ID.sub("", _CLOCK_TIME.sub("<clock>", _RUN_ID.sub("<run>", text)))
        normalised = _LONG_FLOAT.sub(_rounded, text).encode("utf-8", errors="surrogateescape")
        prints[page.relative_to(reports_latest).as_posix()] = hashlib.sha256(normalised).hexdigest()
    return prints


def run_default_sample(workdir: Path) -> tuple[Path, Path]:
    """Generate the default sample into ``workdir`` and run ``python -m pipelines run`` on it, as
    ``make run`` does; returns (warehouse, reports/latest)."""
    inbox = workdir / "inbox"
    subprocess.run([sys.executable, "-m", "pipelines.tools.sample_data", "--customers", str(SAMPLE_CUSTOMERS),
                    "--seed", str(SAMPLE_SEED), "--out", str(inbox)], check=True, capture_output=True)
    env = {**os.environ, "CRM_INBOX_DIR": str(inbox), "CRM_WAREHOUSE_PATH": str(workdir / "warehouse.duckdb"),
           "CRM_REPORTS_DIR": str(workdir / "reports"), "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    for name in ("DAGSTER_HOME", "CRM_AS_OF", "CRM_SETTINGS_FILE", "CRM_COLUMN_ALIASES", "CRM_MODELS_DIR"):
        env.pop(name, None)
    completed = subprocess.run([sys.executable, "-m", "pipelines", "run"], env=env, capture_output=True,
                               text=True, timeout=900)
    if completed.returncode != 0:
        raise RuntimeError(f"the run on the default sample failed:\n{completed.stderr[-3000:]}")
    return workdir / "warehouse.duckdb", workdir / "reports" / "latest"


def fingerprint(workdir: Path) -> dict[str, dict]:
    """The fingerprint of a fresh run of the default sample in ``workdir``."""
    warehouse, latest = run_default_sample(workdir)
    return {"tables": table_fingerprints(warehouse), "pages": page_fingerprints(latest)}


def differences(recorded: dict[str, dict], now: dict[str, dict]) -> list[str]:
    """What differs, one line per table or page: missing, new, or changed (with the row counts)."""
    lines = []
    for part in ("tables", "pages"):
        before, after = recorded.get(part, {}), now.get(part, {})
        for name in sorted(before.keys() | after.keys()):
            if name not in after:
                lines.append(f"{part[:-1]} {name}: gone")
            elif name not in before:
                lines.append(f"{part[:-1]} {name}: new")
            elif before[name] != after[name]:
                detail = f" (rows {before[name][0]} -> {after[name][0]})" if part == "tables" else ""
                lines.append(f"{part[:-1]} {name}: changed{detail}")
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] not in (["record"], ["compare"]):
        print("usage: python -m tests.fingerprint record|compare", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="crm-fingerprint-") as tmp:
        now = fingerprint(Path(tmp))
    if argv[0] == "record":
        RECORDED.parent.mkdir(parents=True, exist_ok=True)
        RECORDED.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"recorded {len(now['tables'])} tables and {len(now['pages'])} pages in {RECORDED}")
        return 0
    changed = differences(json.loads(RECORDED.read_text(encoding="utf-8")), now)
    print("\n".join(changed) or "same tables and pages as recorded")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
