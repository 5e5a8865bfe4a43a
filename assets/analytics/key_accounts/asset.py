"""Key-account management table (重点客户管理表): every buying customer graded VIP / A / B / C by a
0-100 score, with the archive fields account managers work from."""


from datetime import date
from typing import Any

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.customer_360.asset import build_customer_360
from assets.analytics.customer_360.settings import activity_windows
from assets.analytics.key_accounts.settings import KeyAccountSettings
from assets.common.consistency import built_for
from assets.common.metadata import materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset
from assets.common.vocabulary import GRADES

SQL = SqlFolder(__file__)
# Revenue, orders and complaints of the key-account table look back this many months.
LOOKBACK_MONTHS = 12

PROFILE_TABLE = "analytics.customer_360"
TEMP_PROFILE_TABLE = "key_accounts_profile"


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
    structure = {"profile": profile, "with_predictions": with_predictions,
                 "drop_profile": profile == TEMP_PROFILE_TABLE,
                 "industry_points": bool(ka.industry_points), "size_points": bool(ka.company_size_points)}
    SQL.run(conn, "key_accounts", structure, as_of=as_of, lookback_months=LOOKBACK_MONTHS, **ka.sql_parameters())
    return {"profile": profile, "predicted_value_used": with_predictions}


# analytics/clv feeds the predicted-value part of the potential pillar; depending on it keeps every
# run reading the CLV of the same run (re-runs then give identical grades).
@table_asset("analytics.key_accounts", deps=["analytics.customer_360", "core.orders", "core.tickets", "analytics.clv"])
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

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        built = build_key_accounts(conn, as_of, settings.rules())
        grades = dict(SQL.rows(conn, "grade_counts"))
        return {
            "customers_by_grade": MetadataValue.json({g: int(grades.get(g, 0)) for g in GRADES}),
            "predicted_value_used": MetadataValue.bool(built["predicted_value_used"]),
        }

    return materialize_as_of(warehouse, settings, "analytics.key_accounts", build)


KEY_ACCOUNT_ASSETS = [key_accounts]
