"""Key-account management table (重点客户管理表): every buying customer graded VIP / A / B / C by a
0-100 score, with the archive fields account managers work from."""


import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
from dagster import AssetKey, MaterializeResult, MetadataValue, asset

from assets.analytics.customer_360.asset import build_customer_360
from assets.analytics.customer_360.logic import activity_windows
from assets.common.consistency import built_for
from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.settings import shipped
from assets.common.vocabulary import GRADES

# Revenue, orders and complaints of the key-account table look back this many months.
LOOKBACK_MONTHS = 12
# The percentile-rank value of a customer who has no value for a part (no NPS answer, no prediction).
NEUTRAL = 50.0

# Used when the settings file has no points tables (an older copy of settings.toml).
PROFILE_TABLE = "analytics.customer_360"
TEMP_PROFILE_TABLE = "key_accounts_profile"


@dataclass(frozen=True)
class KeyAccountSettings:
    """The ``[key_accounts]`` section of settings.toml, validated."""

    weight_purchasing_power: float = float(shipped("key_accounts", "weight_purchasing_power"))
    weight_loyalty: float = float(shipped("key_accounts", "weight_loyalty"))
    weight_potential: float = float(shipped("key_accounts", "weight_potential"))
    vip_share: float = float(shipped("key_accounts", "vip_share"))
    a_share: float = float(shipped("key_accounts", "a_share"))
    b_share: float = float(shipped("key_accounts", "b_share"))
    follow_up_days: dict[str, int] = field(default_factory=lambda: shipped("key_accounts", "follow_up_days"))
    industry_points: dict[str, float] = field(default_factory=lambda: shipped("key_accounts", "industry_points"))
    industry_points_default: float = float(shipped("key_accounts", "industry_points_default"))
    company_size_points: dict[str, float] = field(
        default_factory=lambda: shipped("key_accounts", "company_size_points"))
    company_size_points_default: float = float(shipped("key_accounts", "company_size_points_default"))

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any] | None) -> "KeyAccountSettings":
        section = dict((thresholds or {}).get("key_accounts") or {})
        known = {f for f in cls.__dataclass_fields__}
        made = cls(**{k: v for k, v in section.items() if k in known})
        made.validate()
        return made

    def validate(self) -> None:
        weights = (self.weight_purchasing_power, self.weight_loyalty, self.weight_potential)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"[key_accounts] weights must be >= 0 with a positive sum, got {weights}")
        shares = (self.vip_share, self.a_share, self.b_share)
        if any(s < 0 for s in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError(f"[key_accounts] vip_share, a_share, b_share must be >= 0 and sum to <= 1, got {shares}")
        if set(self.follow_up_days) != set(GRADES) or any(int(d) < 1 for d in self.follow_up_days.values()):
            raise ValueError(
                f"[key_accounts] follow_up_days needs a positive number of days for each of {GRADES}, "
                f"got {self.follow_up_days}"
            )
        points = [*self.industry_points.values(), *self.company_size_points.values(),
                  self.industry_points_default, self.company_size_points_default]
        if any(not 0 <= float(p) <= 100 for p in points):
            raise ValueError("[key_accounts] industry and company-size points must be between 0 and 100")

    def cumulative_shares(self) -> tuple[Decimal, Decimal, Decimal]:
        """Share of buying customers graded VIP, VIP or A, VIP or A or B (exact, 6 decimals)."""
        vip, a, b = (Decimal(str(round(float(s), 6))) for s in (self.vip_share, self.a_share, self.b_share))
        return (vip, vip + a, vip + a + b)


def grade_cut_offs(customers: int, ka: KeyAccountSettings) -> tuple[int, int, int]:
    """Last score rank graded VIP, A and B: customers x cumulative share, rounded half up."""
    return tuple(math.floor(customers * share + Decimal("0.5")) for share in ka.cumulative_shares())


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _points_case(column: str, points: dict[str, float], default: float) -> str:
    """Points for a column value from a settings table (case and surrounding spaces ignored)."""
    if not points:
        return f"{float(default)}"
    whens = " ".join(f"WHEN {_literal(str(k).strip().lower())} THEN {float(v)}" for k, v in points.items())
    return f"coalesce(CASE lower(trim({column})) {whens} END, {float(default)})"


def percentile_rank_sql(expr: str) -> str:
    """Percentile rank 0-100 of ``expr`` among the rows: 100 x (rows below + ½ x rows equal) ÷ rows
    with a value. Equal values share a rank; one row alone gets 50; an empty value gets 50."""
    return (
        f"CASE WHEN {expr} IS NULL THEN {NEUTRAL} ELSE 100.0 * ("
        f"rank() OVER (PARTITION BY {expr} IS NULL ORDER BY {expr}) - 1 "
        f"+ 0.5 * count(*) OVER (PARTITION BY {expr})"
        f") / count(*) OVER (PARTITION BY {expr} IS NULL) END"
    )


def key_accounts_sql(ka: KeyAccountSettings, profile: str = PROFILE_TABLE, with_predictions: bool = False) -> str:
    """CREATE OR REPLACE statement of analytics.key_accounts (``$as_of`` is a DATE parameter).

    ``profile`` is a customer-360 table built for the same as-of date; ``with_predictions`` adds the
    percentile rank of analytics.clv's clv_12m to the potential pillar.
    """
    cum_vip, cum_a, cum_b = ka.cumulative_shares()
    weight_sum = ka.weight_purchasing_power + ka.weight_loyalty + ka.weight_potential
    potential_parts = ["industry_points", "size_points", "opportunity_pct"]
    if with_predictions:
        potential_parts.append("predicted_pct")
    follow_up = " ".join(f"WHEN '{g}' THEN {int(ka.follow_up_days[g])}" for g in GRADES)
    clv_join = (
        "LEFT JOIN (SELECT customer_id, max(clv_12m) AS clv_12m FROM analytics.clv GROUP BY customer_id) v "
        "USING (customer_id)" if with_predictions else ""
    )
    return f"""
CREATE OR REPLACE TABLE analytics.key_accounts AS
WITH recent AS (
    SELECT customer_id, count(*) AS orders_12m, CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue_12m
    FROM core.orders
    WHERE is_revenue AND order_date <= $as_of
      AND order_date > CAST($as_of::DATE - INTERVAL {LOOKBACK_MONTHS} MONTH AS DATE)
    GROUP BY customer_id
),
complaints AS (
    SELECT customer_id, count(*) AS complaints_12m
    FROM core.tickets
    WHERE is_complaint AND customer_id IS NOT NULL AND opened_date <= $as_of
      AND opened_date > CAST($as_of::DATE - INTERVAL {LOOKBACK_MONTHS} MONTH AS DATE)
    GROUP BY customer_id
),
base AS (
    SELECT p.customer_id, p.company, p.contact_name, p.phone_masked, p.email_masked, p.owner, p.industry,
           p.company_size,
           coalesce(r.revenue_12m, 0) AS revenue_12m,
           coalesce(r.orders_12m, 0) AS orders_12m,
           p.orders AS orders_total,
           p.tenure_days,
           p.last_nps,
           {"CAST(v.clv_12m AS DOUBLE)" if with_predictions else "CAST(NULL AS DOUBLE)"} AS predicted_value,
           p.last_order_date,
           p.last_contact_date AS last_interaction_date,
           CASE WHEN p.tickets IS NOT NULL THEN coalesce(t.complaints_12m, 0) END AS complaints_12m,
           p.open_opportunity_value,
           {_points_case("p.industry", ka.industry_points, ka.industry_points_default)} AS industry_points,
           {_points_case("p.company_size", ka.company_size_points, ka.company_size_points_default)} AS size_points
    FROM {profile} p
    LEFT JOIN recent r USING (customer_id)
    LEFT JOIN complaints t USING (customer_id)
    {clv_join}
    WHERE p.orders > 0
),
parts AS (
    SELECT *,
           {percentile_rank_sql("revenue_12m")} AS revenue_pct,
           {percentile_rank_sql("orders_12m")} AS frequency_pct,
           CASE WHEN orders_total >= 2 THEN 100.0 ELSE 0.0 END AS repurchase_points,
           {percentile_rank_sql("tenure_days")} AS tenure_pct,
           {percentile_rank_sql("last_nps")} AS nps_pct,
           {percentile_rank_sql("open_opportunity_value")} AS opportunity_pct,
           {percentile_rank_sql("predicted_value")} AS predicted_pct
    FROM base
),
pillars AS (
    SELECT *,
           round((revenue_pct + frequency_pct) / 2, 2) AS purchasing_power,
           round((repurchase_points + tenure_pct + nps_pct) / 3, 2) AS loyalty,
           round(({" + ".join(potential_parts)}) / {len(potential_parts)}, 2) AS potential
    FROM parts
),
scored AS (
    SELECT *,
           round(({ka.weight_purchasing_power} * purchasing_power + {ka.weight_loyalty} * loyalty
                  + {ka.weight_potential} * potential) / {weight_sum}, 2) AS score
    FROM pillars
),
ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY score DESC, revenue_12m DESC, customer_id) AS score_rank,
           count(*) OVER () AS buyers
    FROM scored
),
graded AS (
    SELECT *,
           CASE WHEN score_rank <= floor(buyers * CAST('{cum_vip}' AS DECIMAL(18, 6)) + 0.5) THEN 'VIP'
                WHEN score_rank <= floor(buyers * CAST('{cum_a}' AS DECIMAL(18, 6)) + 0.5) THEN 'A'
                WHEN score_rank <= floor(buyers * CAST('{cum_b}' AS DECIMAL(18, 6)) + 0.5) THEN 'B'
                ELSE 'C' END AS grade
    FROM ranked
),
planned AS (
    SELECT *,
           coalesce(last_interaction_date, last_order_date)
             + CASE grade {follow_up} END AS planned_follow_up
    FROM graded
)
SELECT customer_id, company, contact_name, phone_masked, email_masked, owner, industry, company_size,
       grade, score, score_rank, purchasing_power, loyalty, potential,
       revenue_12m, orders_12m, orders_total, tenure_days, last_nps, predicted_value,
       last_order_date, last_interaction_date, complaints_12m, open_opportunity_value,
       greatest(planned_follow_up, $as_of::DATE + 1) AS next_follow_up_date,
       planned_follow_up <= $as_of AS follow_up_overdue,
       CAST($as_of AS DATE) AS as_of
FROM planned
ORDER BY score_rank
"""


def predictions_available(conn: duckdb.DuckDBPyConnection, as_of: date) -> bool:
    """True when analytics.clv exists with customer_id and clv_12m, computed for this as-of date."""
    return built_for(conn, "analytics.clv", as_of, needs=("customer_id", "clv_12m"))


def profile_is_current(conn: duckdb.DuckDBPyConnection, as_of: date) -> bool:
    """True when analytics.customer_360 exists and every row was computed for this as-of date."""
    return built_for(conn, PROFILE_TABLE, as_of, needs=("as_of", "phone_masked", "open_opportunity_value"))


def build_key_accounts(conn: duckdb.DuckDBPyConnection, as_of: date, thresholds: dict[str, Any] | None = None
                       ) -> dict[str, Any]:
    """Rebuild analytics.key_accounts as of the given date and say what it was built from.

    It reads analytics.customer_360 when that was built for the same as-of date; otherwise (an
    analyst rematerialising only this asset with another date) the same profile is computed into a
    temporary table first, so the grades are never mixed from two dates.
    """
    ka = KeyAccountSettings.from_thresholds(thresholds)
    profile = PROFILE_TABLE
    if not profile_is_current(conn, as_of):
        build_customer_360(conn, as_of, activity_windows(thresholds), table=TEMP_PROFILE_TABLE, temporary=True)
        profile = TEMP_PROFILE_TABLE
    with_predictions = predictions_available(conn, as_of)
    conn.execute(key_accounts_sql(ka, profile, with_predictions), {"as_of": as_of})
    if profile == TEMP_PROFILE_TABLE:
        conn.execute(f"DROP TABLE IF EXISTS {TEMP_PROFILE_TABLE}")
    return {"profile": profile, "predicted_value_used": with_predictions}


@asset(
    key=["analytics", "key_accounts"],
    group_name="analytics",
    kinds={"duckdb"},
    # analytics/clv feeds the predicted-value part of the potential pillar; depending on it keeps every
    # run reading the CLV of the same run (re-runs then give identical grades).
    deps=[
        AssetKey(["analytics", "customer_360"]),
        AssetKey(["core", "orders"]),
        AssetKey(["core", "tickets"]),
        AssetKey(["analytics", "clv"]),
    ],
)
def key_accounts(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """The key-customer management table (重点客户管理表): one row per buying customer (at least one
    completed order on or before the as-of date; prospects are not graded), best score first.

    **Grade and score.** Three pillars, each 0–100, built from percentile ranks among the buying
    customers. The percentile rank of a value is 100 × (customers with a lower value + ½ × customers
    with the same value) ÷ customers with a value: equal values get equal ranks, a single customer gets
    50, and a customer without the value (no NPS answer, no prediction) gets a neutral 50.
    - purchasing_power = mean of the percentile ranks of revenue_12m and orders_12m;
    - loyalty = mean of repurchase (100 if orders_total ≥ 2, else 0), the percentile rank of
      tenure_days and the percentile rank of last_nps;
    - potential = mean of the industry points and the company-size points (tables
      ``[key_accounts] industry_points`` / ``company_size_points``, unknown or empty →
      ``industry_points_default`` / ``company_size_points_default``), the percentile rank of
      open_opportunity_value and, only when a table analytics.clv with (customer_id, clv_12m) exists
      for the same as-of date, the percentile rank of predicted_value (= clv_12m); otherwise that
      part is left out and predicted_value is empty.
    Pillars are rounded to 2 decimals; score = (weight_purchasing_power × purchasing_power +
    weight_loyalty × loyalty + weight_potential × potential) ÷ sum of the weights, rounded to 2
    decimals (``[key_accounts]`` weights 0.5 / 0.3 / 0.2). score_rank orders customers by score, then
    revenue_12m (higher first), then customer_id. With N buying customers, ranks 1 … round(N ×
    vip_share) are VIP, up to round(N × (vip_share + a_share)) A, up to round(N × (vip_share + a_share +
    b_share)) B, the rest C (rounding half up; ``[key_accounts]`` vip_share 0.05, a_share 0.15,
    b_share 0.30).

    **Archive fields.** company, contact_name, phone_masked, email_masked (masked as in
    customer_360), owner, industry, company_size; revenue_12m (¥) and orders_12m = completed orders
    in the 12 months up to the as-of date; orders_total = all completed orders; tenure_days = days
    since the first order; last_nps (0–10); last_order_date; last_interaction_date = the latest CRM
    activity; complaints_12m = complaint tickets opened in the 12 months (empty when no tickets were
    exported); open_opportunity_value (¥, as in customer_360, empty without CRM opportunities).
    next_follow_up_date = last interaction date (else last order date) + ``[key_accounts]
    follow_up_days`` of the grade (VIP 14, A 30, B 60, C 90), but never earlier than the day after the
    as-of date: a follow-up already due is planned for the next day and follow_up_overdue is true.
    as_of is the analysis date on every row."""
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        built = build_key_accounts(conn, as_of, settings.rules())
        grades = dict(conn.execute("SELECT grade, count(*) FROM analytics.key_accounts GROUP BY grade").fetchall())
        return MaterializeResult(
            metadata=table_metadata(
                conn, "analytics.key_accounts", as_of=MetadataValue.text(as_of.isoformat()),
                customers_by_grade=MetadataValue.json({g: int(grades.get(g, 0)) for g in GRADES}),
                predicted_value_used=MetadataValue.bool(built["predicted_value_used"]),
            )
        )


KEY_ACCOUNT_ASSETS = [key_accounts]
