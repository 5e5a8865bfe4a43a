"""What happened to the assets that degrade instead of stopping the run.

A prediction that cannot be made as asked (too little history for the horizon, only one kind of
outcome, a fit that does not converge) or that fails outright does not stop the other assets: its
asset still writes its tables (with the best fallback that can be computed) and records here, in one
sentence per language, what happened and what was shipped instead. Reports show that sentence in the
section instead of leaving the section out, and the asset's status check turns the problem red in the
Dagster UI.

``quality.asset_status`` holds one row per asset: the newest outcome for the as-of date it was built.
It carries no timestamps or run ids, so two runs on the same exports write identical rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from assets.common.masking import mask_text
from assets.common.sql import SqlFolder
from assets.common.tables import table_exists

SQL = SqlFolder(__file__)

OK = "ok"
DEGRADED = "degraded"  # built, but not as asked: a fallback was shipped (the message says which)
FAILED = "failed"  # an unexpected error: the tables are empty, the message names the error
STATUSES = (OK, DEGRADED, FAILED)


@dataclass(frozen=True)
class AssetStatus:
    """The outcome of one asset: ok, degraded or failed, said in English and Chinese.

    ``asset`` is the asset key written with slashes (``analytics/churn_scores``). ``message_en`` and
    ``message_zh`` are for people (reports, the UI); ``detail`` is for whoever debugs it (the
    exception type and text), never shown in stakeholder reports.
    """

    asset: str
    status: str
    message_en: str
    message_zh: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"asset status must be one of {STATUSES}, got {self.status!r}")

    @property
    def is_ok(self) -> bool:
        return self.status == OK

    def message(self, language: str) -> str:
        """The sentence in the report's language (``zh`` or ``en``)."""
        return self.message_zh if language == "zh" else self.message_en


def ok_status(asset: str) -> AssetStatus:
    """The status of an asset built as asked."""
    return AssetStatus(asset, OK, "Built as configured.", "已按设置生成。")


def failure_status(asset: str, error: BaseException) -> AssetStatus:
    """The status of an asset whose computation raised ``error``; the cause (error type and the
    first line of its text) is part of the message, so a report can show it."""
    kind = type(error).__name__
    first_line = mask_text((str(error).strip().splitlines() or [""])[0][:200])
    cause = f"{kind}: {first_line}" if first_line else kind
    return AssetStatus(
        asset, FAILED,
        f"Could not be computed in this run ({cause}); the other results are not affected.",
        f"本次运行未能计算（{cause}），其他结果不受影响。",
        detail=mask_text(f"{kind}: {error}"[:2000]),
    )


def ensure_status_table(conn: duckdb.DuckDBPyConnection) -> None:
    """Create quality.asset_status if it does not exist yet."""
    SQL.run(conn, "asset_status")


def record_status(conn: duckdb.DuckDBPyConnection, status: AssetStatus, as_of: date | None) -> None:
    """Store the newest outcome of ``status.asset`` (replacing the previous one)."""
    ensure_status_table(conn)
    SQL.run(conn, "record_asset_status", asset=status.asset, status=status.status, message_en=status.message_en,
            message_zh=status.message_zh, detail=status.detail or None, as_of=as_of)


def read_status(conn: duckdb.DuckDBPyConnection, asset: str) -> AssetStatus | None:
    """The newest recorded outcome of an asset, or None when it never recorded one."""
    if not table_exists(conn, "quality.asset_status"):
        return None
    row = conn.execute(
        "SELECT asset, status, message_en, message_zh, coalesce(detail, '') FROM quality.asset_status "
        "WHERE asset = ?",
        [asset],
    ).fetchone()
    return AssetStatus(*row) if row else None
