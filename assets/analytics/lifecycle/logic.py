"""Lifecycle stages per customer and snapshot date, and the moves between stages, as DuckDB SQL
(sql/lifecycle.sql, sql/lifecycle_transitions.sql).

The rules come from the ``[lifecycle]`` section of ``pipelines/settings.toml`` (``LifecycleRules``,
in ``settings.py``); the first rule that matches a customer on a snapshot date gives the stage:

1. ``potential`` (潜在): no completed order on or before the snapshot date (CRM prospects, and
   customers whose only orders were refunded or cancelled).
2. ``new`` (新客): the first completed order is at most ``new_days`` days before the snapshot date.
3. ``reactivated`` (回流): the customer's latest *return purchase* is at most ``reactivated_days``
   days before the snapshot date. A return purchase is a completed order placed at least
   ``churn_days`` days after the customer's previous completed order.
4. ``churned`` (流失): the last completed order is more than ``churn_days`` days before the snapshot.
5. ``at_risk`` (风险): silent (days since the last completed order) for at least ``at_risk_min_days``
   days and for longer than ``at_risk_gap_multiplier`` × the customer's usual gap. The usual gap is
   the mean number of days between consecutive purchase days up to the snapshot date, i.e.
   (last order date − first order date) ÷ (purchase days − 1); several orders on the same day count
   as one purchase day. A customer with a single purchase day has no usual gap and is at risk on
   ``at_risk_min_days`` alone.
6. ``loyal`` (忠诚): at least ``loyal_min_orders`` completed orders and at least
   ``loyal_min_tenure_days`` days since the first one.
7. ``active`` (活跃): everyone else.

Snapshot dates are the as-of date plus the month-ends of the ``history_months`` months before the
as-of month. A customer is in a snapshot once known: from the earlier of its CRM creation date and
its first order (any status); a customer with neither (a CRM account without a creation date that
never ordered) is in every snapshot. Only orders on or before the snapshot date count.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import duckdb

from assets.analytics.lifecycle.settings import LifecycleRules
from assets.common.sql import SqlFolder
from assets.common.vocabulary import FIRST_SEEN_STAGE, LIFECYCLE_STAGES, STAGE_NAMES

STAGES: tuple[tuple[str, str], ...] = tuple((stage, STAGE_NAMES["zh"][stage]) for stage in LIFECYCLE_STAGES)
STAGE_ZH = dict(STAGES)
FIRST_SEEN_STAGE_ZH = STAGE_NAMES["zh"][FIRST_SEEN_STAGE]

SQL = SqlFolder(__file__)


def stage_parameters() -> dict[str, object]:
    """The stage vocabulary as parameters of the SQL: the codes and their Chinese names in order."""
    return {"stages": [s for s, _ in STAGES], "stage_names": [zh for _, zh in STAGES]}


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def snapshot_dates(as_of: date, history_months: int) -> list[date]:
    """The month-ends of the ``history_months`` months before the as-of month, oldest first, then
    the as-of date itself."""
    dates = []
    first_of_month = as_of.replace(day=1)
    for _ in range(history_months):
        previous_end = first_of_month - timedelta(days=1)
        dates.append(previous_end)
        first_of_month = previous_end.replace(day=1)
    return [*reversed(dates), as_of]


def build_lifecycle(conn: duckdb.DuckDBPyConnection, as_of: date, rules: LifecycleRules) -> list[date]:
    """Rebuild analytics.lifecycle as of the given date; returns the snapshot dates used."""
    dates = snapshot_dates(as_of, rules.history_months)
    SQL.run(conn, "lifecycle", snapshots=dates, as_of=as_of, **rules.parameters(), **stage_parameters())
    return dates


def build_lifecycle_transitions(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild analytics.lifecycle_transitions from analytics.lifecycle (and its as-of date)."""
    SQL.run(conn, "lifecycle_transitions", first_seen_stage=FIRST_SEEN_STAGE,
            first_seen_stage_name=FIRST_SEEN_STAGE_ZH, **stage_parameters())
