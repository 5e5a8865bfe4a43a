"""Lifecycle stages per customer and snapshot date, and the moves between stages, as DuckDB SQL.

The rules come from the ``[lifecycle]`` section of ``pipelines/settings.toml``; the first rule that
matches a customer on a snapshot date gives the stage:

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
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb

from assets.common.vocabulary import FIRST_SEEN_STAGE, LIFECYCLE_STAGES, STAGE_NAMES

STAGES: tuple[tuple[str, str], ...] = tuple((stage, STAGE_NAMES["zh"][stage]) for stage in LIFECYCLE_STAGES)
STAGE_ZH = dict(STAGES)
FIRST_SEEN_STAGE_ZH = STAGE_NAMES["zh"][FIRST_SEEN_STAGE]

_INT_KEYS = ("new_days", "reactivated_days", "churn_days", "at_risk_min_days", "loyal_min_orders",
             "loyal_min_tenure_days", "history_months")


@dataclass(frozen=True)
class LifecycleRules:
    """The ``[lifecycle]`` thresholds (see the module docstring for what each one does)."""

    new_days: int
    reactivated_days: int
    churn_days: int
    at_risk_gap_multiplier: float
    at_risk_min_days: int
    loyal_min_orders: int
    loyal_min_tenure_days: int
    history_months: int

    @classmethod
    def from_settings(cls, section: dict[str, Any]) -> LifecycleRules:
        """Read and validate the ``[lifecycle]`` settings section; errors name the offending key."""
        values: dict[str, Any] = {}
        for key in (*_INT_KEYS, "at_risk_gap_multiplier"):
            if key not in section:
                raise ValueError(f"settings [lifecycle] is missing the key {key!r}")
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"settings [lifecycle] {key} must be a number ≥ 0, got {value!r}")
            if key in _INT_KEYS and int(value) != value:
                raise ValueError(f"settings [lifecycle] {key} must be a whole number, got {value!r}")
            values[key] = float(value) if key == "at_risk_gap_multiplier" else int(value)
        return cls(**values)

    def parameters(self) -> dict[str, Any]:
        return {
            "new_days": self.new_days,
            "reactivated_days": self.reactivated_days,
            "churn_days": self.churn_days,
            "gap_multiplier": self.at_risk_gap_multiplier,
            "at_risk_min_days": self.at_risk_min_days,
            "loyal_min_orders": self.loyal_min_orders,
            "loyal_min_tenure_days": self.loyal_min_tenure_days,
        }


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


_STAGE_ZH_CASE = "CASE stage " + " ".join(f"WHEN '{s}' THEN '{zh}'" for s, zh in STAGES) + " END"

LIFECYCLE_SQL = f"""
CREATE OR REPLACE TABLE analytics.lifecycle AS
WITH snapshots AS (
    SELECT unnest(CAST($snapshots AS DATE[])) AS snapshot_date
),
purchase_days AS (        -- one row per customer and day with a completed order
    SELECT customer_id, order_date, count(*) AS orders
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of AND customer_id IS NOT NULL
    GROUP BY customer_id, order_date
),
gaps AS (
    SELECT *, date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date),
                        order_date) AS gap_days
    FROM purchase_days
),
history AS (              -- what is known about the customer at the end of each purchase day
    SELECT customer_id, order_date AS last_order_date,
           min(order_date) OVER (PARTITION BY customer_id) AS first_order_date,
           sum(orders) OVER running AS orders_to_date,
           count(*) OVER running AS purchase_days,
           max(CASE WHEN gap_days >= $churn_days THEN order_date END) OVER running AS last_return_date
    FROM gaps
    WINDOW running AS (PARTITION BY customer_id ORDER BY order_date
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
first_seen AS (
    SELECT customer_id, min(order_date) AS first_seen_date
    FROM core.orders
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
),
known AS (
    SELECT c.customer_id, least(c.created_date, f.first_seen_date) AS known_date
    FROM core.customers c
    LEFT JOIN first_seen f USING (customer_id)
),
grid AS (
    SELECT k.customer_id, s.snapshot_date
    FROM known k
    JOIN snapshots s ON k.known_date IS NULL OR k.known_date <= s.snapshot_date
),
facts AS (
    SELECT g.customer_id, g.snapshot_date, h.first_order_date, h.last_order_date, h.last_return_date,
           h.orders_to_date, h.purchase_days,
           date_diff('day', h.last_order_date, g.snapshot_date) AS days_since_last_order,
           date_diff('day', h.first_order_date, g.snapshot_date) AS tenure_days,
           CASE WHEN h.purchase_days >= 2
                THEN date_diff('day', h.first_order_date, h.last_order_date) / (h.purchase_days - 1)
           END AS usual_gap
    FROM grid g
    ASOF LEFT JOIN history h ON g.customer_id = h.customer_id AND g.snapshot_date >= h.last_order_date
),
staged AS (
    SELECT *,
           CASE
               WHEN orders_to_date IS NULL THEN 'potential'
               WHEN tenure_days <= $new_days THEN 'new'
               WHEN date_diff('day', last_return_date, snapshot_date) <= $reactivated_days THEN 'reactivated'
               WHEN days_since_last_order > $churn_days THEN 'churned'
               WHEN days_since_last_order >= $at_risk_min_days
                    AND (usual_gap IS NULL OR days_since_last_order > $gap_multiplier * usual_gap) THEN 'at_risk'
               WHEN orders_to_date >= $loyal_min_orders AND tenure_days >= $loyal_min_tenure_days THEN 'loyal'
               ELSE 'active'
           END AS stage
    FROM facts
)
SELECT customer_id, snapshot_date, snapshot_date = $as_of AS is_current, stage, {_STAGE_ZH_CASE} AS stage_zh,
       days_since_last_order, round(usual_gap, 2) AS usual_gap_days,
       coalesce(orders_to_date, 0) AS orders_to_date, coalesce(purchase_days, 0) AS purchase_days,
       first_order_date, last_order_date, last_return_date, tenure_days,
       CAST($as_of AS DATE) AS as_of
FROM staged
ORDER BY snapshot_date, customer_id
"""

TRANSITIONS_SQL = f"""
CREATE OR REPLACE TABLE analytics.lifecycle_transitions AS
WITH snapshots AS (
    SELECT snapshot_date, lag(snapshot_date) OVER (ORDER BY snapshot_date) AS previous_snapshot_date
    FROM (SELECT DISTINCT snapshot_date FROM analytics.lifecycle)
),
moves AS (
    SELECT s.previous_snapshot_date, s.snapshot_date,
           coalesce(p.stage, '{FIRST_SEEN_STAGE}') AS from_stage, c.stage AS to_stage, c.as_of
    FROM analytics.lifecycle c
    JOIN snapshots s ON s.snapshot_date = c.snapshot_date AND s.previous_snapshot_date IS NOT NULL
    LEFT JOIN analytics.lifecycle p
           ON p.customer_id = c.customer_id AND p.snapshot_date = s.previous_snapshot_date
)
SELECT CAST(date_trunc('month', snapshot_date) AS DATE) AS month, previous_snapshot_date, snapshot_date,
       from_stage,
       CASE from_stage WHEN '{FIRST_SEEN_STAGE}' THEN '{FIRST_SEEN_STAGE_ZH}'
            {" ".join(f"WHEN '{s}' THEN '{zh}'" for s, zh in STAGES)} END AS from_stage_zh,
       to_stage,
       CASE to_stage {" ".join(f"WHEN '{s}' THEN '{zh}'" for s, zh in STAGES)} END AS to_stage_zh,
       count(*) AS customers,
       as_of
FROM moves
GROUP BY ALL
ORDER BY snapshot_date, from_stage, to_stage
"""


def build_lifecycle(conn: duckdb.DuckDBPyConnection, as_of: date, rules: LifecycleRules) -> list[date]:
    """Rebuild analytics.lifecycle as of the given date; returns the snapshot dates used."""
    dates = snapshot_dates(as_of, rules.history_months)
    conn.execute(LIFECYCLE_SQL, {"snapshots": dates, "as_of": as_of, **rules.parameters()})
    return dates


def build_lifecycle_transitions(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild analytics.lifecycle_transitions from analytics.lifecycle (and its as-of date)."""
    conn.execute(TRANSITIONS_SQL)
