"""RFM segments: recency, frequency and monetary scores, the 11-segment scheme, value tiers and the
Pareto (ABC) share of revenue for every customer who bought in the RFM window."""


from datetime import date

import duckdb
from dagster import MaterializeResult, MetadataValue

from assets.analytics.rfm.logic import VALUE_TIERS_ZH
from assets.analytics.rfm.settings import RfmSettings
from assets.common.metadata import markdown_table, materialize_as_of
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.table_asset import table_asset

SQL = SqlFolder(__file__)


def build_rfm(conn: duckdb.DuckDBPyConnection, as_of: date, settings: RfmSettings) -> None:
    """Rebuild analytics.rfm as of the given date (orders after it, or older than the window, ignored)."""
    SQL.run(
        conn, "rfm", as_of=as_of, lookback_days=int(settings.lookback_days), bins=int(settings.bins),
        value_tier_high_share=settings.value_tier_high_share, value_tier_low_share=settings.value_tier_low_share,
        value_tier_high_zh=VALUE_TIERS_ZH["high"], value_tier_low_zh=VALUE_TIERS_ZH["low"],
        value_tier_normal_zh=VALUE_TIERS_ZH["normal"],
        abc_a_share=settings.abc_a_share, abc_b_share=settings.abc_b_share, **settings.segment_rules(),
    )


def segment_cells(conn: duckdb.DuckDBPyConnection, settings: RfmSettings) -> list[tuple[int, int, str, str]]:
    """(r_score, fm_score, segment, segment_zh) of every score pair a rule covers: the segment
    lookup analytics.rfm uses."""
    return SQL.rows(conn, "segment_cells", bins=int(settings.bins), **settings.segment_rules())


def segment_summary(conn: duckdb.DuckDBPyConnection, settings: RfmSettings) -> str:
    """A markdown table: customers and revenue share per segment, in the scheme's order."""
    rows = dict(
        (name, (customers, share))
        for name, customers, share in SQL.rows(conn, "segment_summary")
    )
    lines = []
    for rule in settings.segments:
        customers, share = rows.get(rule.name, (0, 0.0))
        lines.append((rule.name, rule.name_zh, customers, f"{100 * (share or 0):.1f}%"))
    return markdown_table(("segment", "细分", "customers", "revenue share"), "llrr", lines)


@table_asset("analytics.rfm", deps=["core.orders"])
def rfm(warehouse: Warehouse, settings: PipelineSettings) -> MaterializeResult:
    """One row per customer with at least one completed order in the RFM window: the
    `rfm.lookback_days` days up to and including the as-of date (as_of − lookback_days < order_date ≤
    as_of). Prospects, customers whose last completed order is older than the window and refunded or
    cancelled orders are not in this table (see the lifecycle table for them).

    Columns:
    - recency_days: days from the last completed order in the window to the as-of date (0 = bought
      on the as-of date).
    - frequency: completed orders in the window. monetary: their revenue (sum of order amounts, CNY).
    - r_score, f_score, m_score: 1 to `rfm.bins` (5), tie-safe quantiles: score = ceil(bins ×
      (customers with a worse value + half the customers with the same value) ÷ buying customers).
      Worse = more days since the last order (so recent buyers score high), fewer orders, less
      revenue. Equal values always get equal scores; if everyone has the same value everyone gets the
      middle score 3; ten different values give 1,1,2,2,3,3,4,4,5,5.
    - fm_score: mean of f_score and m_score rounded half up ((f + m + 1) div 2).
    - rfm_code: the three scores as text, r then f then m (e.g. '545').
    - segment / segment_zh: the first `[[rfm.segments]]` rule whose r and fm ranges contain the
      customer's r_score and fm_score (both ends included). Shipped scheme, in rule order: Champions
      重要价值客户 (r 4-5, fm 4-5); Loyal Customers 忠诚客户 (r 3-5, fm 3-5); Can't Lose Them 不能失去的客户
      (r 1, fm 4-5); At Risk 流失风险客户 (r 1-2, fm 3-5); New Customers 新客户 (r 4-5, fm 1); Potential
      Loyalist 潜力客户 (r 4-5, fm 2-3); Promising 有希望的客户 (r 3, fm 1); Need Attention 需要关注的客户
      (r 3, fm 2); About To Sleep 即将沉睡的客户 (r 2, fm 1-2); Hibernating 沉睡客户 (r 1, fm 2); Lost
      流失客户 (r 1, fm 1). Settings whose rules leave a score pair uncovered are rejected.
    - value_tier / value_tier_zh: by monetary rank. position = (customers with more revenue + half
      the customers with the same revenue) ÷ buying customers. high 高价值 when the position from
      the top is below `rfm.value_tier_high_share` (0.2), low 低价值 when the position from the
      bottom is below `rfm.value_tier_low_share` (0.5), else normal 普通.
    - revenue_share: monetary ÷ total monetary of all rows (0 when total revenue is 0).
    - cumulative_revenue_share: share of revenue of this customer and every customer ranked before
      it, ranking by monetary descending then customer_id.
    - abc_class: Pareto class in that ranking. A while the revenue of the customers ranked before is
      below `rfm.abc_a_share` (80%) of the total (so the customer crossing 80% is still A and A
      covers at least 80%), B while it is below `rfm.abc_b_share` (95%), C for the rest.
    - as_of: the analysis date."""
    rfm_settings = RfmSettings.from_thresholds(settings.rules().get("rfm", {}))

    def build(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, MetadataValue]:
        build_rfm(conn, as_of, rfm_settings)
        return {"segments": MetadataValue.md(segment_summary(conn, rfm_settings))}

    return materialize_as_of(warehouse, settings, "analytics.rfm", build)


RFM_ASSETS = [rfm]
