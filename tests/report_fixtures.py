"""A sample installation for the report tests: generated exports with hostile company names, run once.

Some CRM accounts get a company name that would run script if a page inserted it unescaped: the
most valuable buyer still buying (a VIP key account, ``...Evil Co``) and every buyer drifting away
without having churned yet (likely churn-watchlist entries, ``...Evil Drift Co <n>``). The rest of the
sample is what ``pipelines.sample_data.generate`` writes.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.sample_data import generate
from pipelines.settings import PathSettings
from tests.conftest import materialize_all

HOSTILE_PAYLOAD = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
HOSTILE_VIP = f"{HOSTILE_PAYLOAD}Evil Co"
HOSTILE_DRIFTING = f"{HOSTILE_PAYLOAD}Evil Drift Co"
# 2026-01-01 00:00 UTC: pins the generation time written in the pages.
SOURCE_DATE_EPOCH = "1767225600"

ACCOUNT_ID_HEADERS = ("客户ID", "account_id", "Account ID")
COMPANY_HEADERS = ("公司名称", "company", "Company Name")


@dataclass(frozen=True)
class ReportSample:
    paths: PathSettings
    latest: Path
    hostile_customers: dict[str, str]
    """Hostile company name → customer_id in the warehouse."""


def _hostile_accounts(truth: Path) -> dict[str, str]:
    """CRM account id → hostile name: the most valuable buyer still buying steadily (``Evil Co``) and
    every buyer drifting away without having churned yet (``Evil Drift Co 1``, ``2``, ...; the churn
    watchlist should show some of them)."""
    people = pl.read_parquet(truth / "customers.parquet").filter(
        ~pl.col("is_prospect") & pl.col("crm_has_sales_code") & pl.col("churn_date").is_null()
    )
    order = [pl.col("value_weight"), pl.col("customer_id")]
    steady = people.filter(pl.col("drift_start").is_null()).sort(order, descending=[True, False])
    drifting = people.filter(pl.col("drift_start").is_not_null()).sort(order, descending=[True, False])
    chosen = {steady.item(0, "crm_account_id"): HOSTILE_VIP}
    for number, account in enumerate(drifting.get_column("crm_account_id").to_list(), start=1):
        chosen[account] = f"{HOSTILE_DRIFTING} {number}"
    return chosen


def _crm_accounts_file(inbox: Path) -> tuple[Path, str]:
    """The CRM accounts CSV export of the sample and its encoding (the generator writes GBK)."""
    for path in sorted((inbox / "crm").glob("*.csv")):
        for encoding in ("utf-8-sig", "gbk"):
            try:
                header = path.read_bytes().decode(encoding).splitlines()[0]
            except (UnicodeDecodeError, IndexError):
                continue
            names = [h.strip() for h in header.split(",")]
            if any(h in names for h in COMPANY_HEADERS) and any(h in names for h in ACCOUNT_ID_HEADERS):
                return path, encoding
    raise AssertionError(f"no CRM accounts CSV in {inbox / 'crm'}")


def inject_hostile_companies(inbox: Path, truth: Path) -> dict[str, str]:
    """Rewrite the CRM accounts export (same encoding and line ends) with hostile company names;
    returns account id → hostile name."""
    path, encoding = _crm_accounts_file(inbox)
    raw = path.read_bytes()
    line_end = "\r\n" if b"\r\n" in raw[:4000] else "\n"
    rows = list(csv.reader(io.StringIO(raw.decode(encoding), newline="")))
    header = [h.strip() for h in rows[0]]
    id_col = next(header.index(h) for h in ACCOUNT_ID_HEADERS if h in header)
    company_col = next(header.index(h) for h in COMPANY_HEADERS if h in header)
    wanted = _hostile_accounts(truth)
    changed = {}
    for row in rows[1:]:
        if row and row[id_col] in wanted:
            row[company_col] = wanted[row[id_col]]
            changed[row[id_col]] = wanted[row[id_col]]
    assert changed.keys() == wanted.keys(), f"accounts {set(wanted) - set(changed)} not in {path.name}"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    # The payload is ASCII, so the GBK export stays GBK.
    path.write_bytes(buffer.getvalue().encode(encoding))
    return changed


def build_report_sample(root: Path, customers: int = 300, seed: int = 11) -> ReportSample:
    """Generate the sample under ``root``, inject the hostile names and materialise every asset once
    with a pinned generation time."""
    inbox, truth = root / "inbox", root / "truth"
    generate(inbox, truth, customers=customers, seed=seed)
    injected = inject_hostile_companies(inbox, truth)
    paths = PathSettings(inbox_dir=str(inbox), warehouse_path=str(root / "warehouse.duckdb"),
                         reports_dir=str(root / "reports"))
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    try:
        result = materialize_all(paths)
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
    assert result.success
    hostile = {}
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        for name in injected.values():
            found = conn.execute("SELECT customer_id FROM analytics.customer_360 WHERE company = ?", [name]).fetchall()
            assert len(found) == 1, f"{name!r} is not exactly one customer in analytics.customer_360: {found}"
            hostile[name] = found[0][0]
    return ReportSample(paths=paths, latest=Path(paths.reports_dir) / "latest", hostile_customers=hostile)
