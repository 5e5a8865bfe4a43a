"""Churn features and labels at a cutoff date, computed in DuckDB.

Every feature is computed from data dated on or before the cutoff, so the same SQL gives the
training rows (cutoff = as-of − horizon, labels from the horizon after it) and the scoring rows
(cutoff = as-of). Features come in groups, one per source system; a source with no rows on or
before the cutoff contributes no features, so a sales-only installation still trains a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import polars as pl

from assets.common.settings import shipped
from assets.common.tables import table_exists


@dataclass(frozen=True)
class ChurnSettings:
    """The ``[churn]`` section of the settings file (see pipelines/settings.toml)."""

    horizon_days: int = int(shipped("churn", "horizon_days"))
    trend_days: int = int(shipped("churn", "trend_days"))
    population_days: int = int(shipped("churn", "population_days"))
    selection_metric: str = str(shipped("churn", "selection_metric"))
    risk_high: float = float(shipped("churn", "risk_high"))
    risk_medium: float = float(shipped("churn", "risk_medium"))
    min_training_customers: int = int(shipped("churn", "min_training_customers"))
    min_churners: int = int(shipped("churn", "min_churners"))
    max_training_rows: int = int(shipped("churn", "max_training_rows"))
    training_cutoffs: int = int(shipped("churn", "training_cutoffs"))
    min_history_days: int = int(shipped("churn", "min_history_days"))
    min_label_horizon_days: int = int(shipped("churn", "min_label_horizon_days"))
    reason_min_contribution: float = float(shipped("churn", "reason_min_contribution"))
    interaction_drop_share: float = float(shipped("churn", "interaction_drop_share"))
    interaction_drop_min_previous: int = int(shipped("churn", "interaction_drop_min_previous"))
    spend_drop_share: float = float(shipped("churn", "spend_drop_share"))
    complaint_spike_min: int = int(shipped("churn", "complaint_spike_min"))
    seed: int = int(shipped("churn", "seed"))

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any]) -> ChurnSettings:
        section = thresholds.get("churn", {})
        defaults = cls()
        values = {}
        for name, default in defaults.__dict__.items():
            raw = section.get(name, default)
            values[name] = type(default)(raw)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        from assets.analytics.churn.metrics import METRIC_DIRECTIONS

        if min(self.horizon_days, self.trend_days, self.population_days, self.training_cutoffs,
               self.min_label_horizon_days, self.max_training_rows) < 1 or self.min_history_days < 0:
            raise ValueError("churn.horizon_days, trend_days, population_days, training_cutoffs, "
                             "min_label_horizon_days and max_training_rows must be ≥ 1, min_history_days ≥ 0")
        if not 0 < self.risk_medium <= self.risk_high <= 1:
            raise ValueError(f"churn risk cut-offs must satisfy 0 < risk_medium ({self.risk_medium}) ≤ "
                             f"risk_high ({self.risk_high}) ≤ 1")
        if self.selection_metric not in METRIC_DIRECTIONS:
            raise ValueError(f"churn.selection_metric must be one of {sorted(METRIC_DIRECTIONS)}, "
                             f"got {self.selection_metric!r}")


@dataclass(frozen=True)
class FeatureGroup:
    """Features from one source; ``source_table`` decides whether the group is available."""

    name: str
    source_table: str
    date_column: str
    features: tuple[str, ...]


FEATURE_GROUPS: tuple[FeatureGroup, ...] = (
    FeatureGroup("purchases", "core.orders", "order_date", (
        "days_since_last_purchase", "tenure_days", "purchase_days", "orders_total", "revenue_total",
        "avg_order_value", "spend_recent", "spend_previous", "spend_trend", "orders_recent", "orders_previous",
        "order_trend", "mean_gap_days", "overdue_ratio", "last_gap_days", "longest_gap_days",
        "recent_vs_usual_purchases", "days_since_last_order_any_status", "order_days_any_status",
        "category_count")),
    FeatureGroup("purchase_model", "core.orders", "order_date", (
        "bgnbd_expected_purchases", "bgnbd_p_alive", "bgnbd_p_no_purchase")),
    FeatureGroup("interactions", "core.interactions", "interaction_date", (
        "interactions_recent", "interactions_previous", "interaction_trend", "days_since_last_contact")),
    FeatureGroup("service", "core.tickets", "opened_date", (
        "tickets_recent", "complaints_recent", "complaints_previous", "complaints_total", "mean_csat")),
    FeatureGroup("surveys", "core.surveys", "survey_date", ("last_nps",)),
    FeatureGroup("email", "core.email_events", "event_date", (
        "emails_delivered_recent", "open_rate_recent", "open_rate_previous", "open_rate_trend",
        "click_rate_recent", "unsubscribed")),
    FeatureGroup("opportunities", "core.opportunities", "created_date", (
        "open_opportunities", "open_opportunity_value", "won_opportunities_year", "won_opportunity_value",
        "lost_opportunities_year")),
)

GROUP_OF_FEATURE = {f: g.name for g in FEATURE_GROUPS for f in g.features}

# Trends are (recent − previous) / (recent + previous): −1 = stopped, 0 = flat, +1 = new; 0 when both are 0.
_TREND = "CASE WHEN coalesce({r}, 0) + coalesce({p}, 0) = 0 THEN 0.0 ELSE " \
         "(coalesce({r}, 0) - coalesce({p}, 0))::DOUBLE / (coalesce({r}, 0) + coalesce({p}, 0)) END"

_GROUP_SQL = {
    "purchases": """
purchase_days AS (
    -- money stays DECIMAL until the end: DOUBLE sums in parallel change in the last digits run to run
    SELECT customer_id, order_date, sum(amount) AS revenue, count(*) AS orders,
           date_diff('day', lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date), order_date) AS gap
    FROM core.orders
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id, order_date
), population AS (
    SELECT customer_id,
           date_diff('day', max(order_date), $cutoff::DATE) AS days_since_last_purchase,
           date_diff('day', min(order_date), $cutoff::DATE) AS tenure_days,
           count(*) AS purchase_days,
           sum(orders) AS orders_total,
           sum(revenue)::DOUBLE AS revenue_total,
           sum(revenue)::DOUBLE / sum(orders) AS avg_order_value,
           coalesce(sum(revenue) FILTER (WHERE order_date > $recent_start), 0)::DOUBLE AS spend_recent,
           coalesce(sum(revenue) FILTER (WHERE order_date > $previous_start AND order_date <= $recent_start),
                    0)::DOUBLE AS spend_previous,
           coalesce(sum(orders) FILTER (WHERE order_date > $recent_start), 0) AS orders_recent,
           coalesce(sum(orders) FILTER (WHERE order_date > $previous_start AND order_date <= $recent_start), 0)
               AS orders_previous,
           CASE WHEN count(*) > 1
                THEN date_diff('day', min(order_date), max(order_date))::DOUBLE / (count(*) - 1) END AS mean_gap_days,
           arg_max(gap, order_date) AS last_gap_days,
           max(gap) AS longest_gap_days,
           -- purchase days in the recent window minus what the customer's own earlier pace predicts
           count(*) FILTER (WHERE order_date > $recent_start)
             - CASE WHEN min(order_date) <= $recent_start
                    THEN count(*) FILTER (WHERE order_date <= $recent_start) * $trend_days::DOUBLE
                         / greatest(date_diff('day', min(order_date), $recent_start::DATE), $trend_days) END
               AS recent_vs_usual_purchases
    FROM purchase_days
    GROUP BY customer_id
    HAVING max(order_date) > $population_start
), any_status AS (
    -- orders later refunded or cancelled still show the customer was around (and a status can change
    -- after the cutoff: the order date cannot)
    SELECT customer_id, date_diff('day', max(order_date), $cutoff::DATE) AS days_since_last_order_any_status,
           count(DISTINCT order_date) AS order_days_any_status
    FROM core.orders
    WHERE customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id
), categories AS (
    SELECT customer_id, count(DISTINCT category) AS category_count
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $cutoff
    GROUP BY customer_id
)""",
    "interactions": """
interactions AS (
    SELECT customer_id,
           count(*) FILTER (WHERE interaction_date > $recent_start) AS interactions_recent,
           count(*) FILTER (WHERE interaction_date > $previous_start AND interaction_date <= $recent_start)
               AS interactions_previous,
           date_diff('day', max(interaction_date), $cutoff::DATE) AS days_since_last_contact
    FROM core.interactions
    WHERE customer_id IS NOT NULL AND interaction_date <= $cutoff
    GROUP BY customer_id
)""",
    "service": """
service AS (
    SELECT customer_id,
           count(*) FILTER (WHERE opened_date > $recent_start) AS tickets_recent,
           count(*) FILTER (WHERE is_complaint AND opened_date > $recent_start) AS complaints_recent,
           count(*) FILTER (WHERE is_complaint AND opened_date > $previous_start AND opened_date <= $recent_start)
               AS complaints_previous,
           count(*) FILTER (WHERE is_complaint) AS complaints_total,
           -- a CSAT score is known once the ticket is resolved: later resolutions are in the future
           avg(csat) FILTER (WHERE resolved_at IS NOT NULL AND resolved_at::DATE <= $cutoff
                             AND opened_date > $year_start) AS mean_csat
    FROM core.tickets
    WHERE customer_id IS NOT NULL AND opened_date <= $cutoff
    GROUP BY customer_id
)""",
    "surveys": """
surveys AS (
    SELECT customer_id, arg_max(nps_score, survey_ts) AS last_nps
    FROM core.surveys
    WHERE customer_id IS NOT NULL AND survey_date <= $cutoff AND nps_score IS NOT NULL
    GROUP BY customer_id
)""",
    "email": """
email AS (
    SELECT customer_id,
           count(*) FILTER (WHERE event_type = 'delivered' AND event_date > $recent_start) AS emails_delivered_recent,
           count(*) FILTER (WHERE event_type = 'open' AND event_date > $recent_start) AS opens_recent,
           count(*) FILTER (WHERE event_type = 'click' AND event_date > $recent_start) AS clicks_recent,
           count(*) FILTER (WHERE event_type = 'delivered' AND event_date > $previous_start
                            AND event_date <= $recent_start) AS delivered_previous,
           count(*) FILTER (WHERE event_type = 'open' AND event_date > $previous_start
                            AND event_date <= $recent_start) AS opens_previous,
           bool_or(event_type = 'unsubscribe') AS unsubscribed
    FROM core.email_events
    WHERE customer_id IS NOT NULL AND event_date <= $cutoff
    GROUP BY customer_id
)""",
    "opportunities": """
opportunities AS (
    SELECT customer_id,
           count(*) FILTER (WHERE close_date IS NULL OR close_date > $cutoff) AS open_opportunities,
           coalesce(sum(amount) FILTER (WHERE close_date IS NULL OR close_date > $cutoff), 0)::DOUBLE
               AS open_opportunity_value,
           count(*) FILTER (WHERE status = 'won' AND close_date <= $cutoff AND close_date > $year_start)
               AS won_opportunities_year,
           coalesce(sum(amount) FILTER (WHERE status = 'won' AND close_date <= $cutoff), 0)::DOUBLE
               AS won_opportunity_value,
           count(*) FILTER (WHERE status = 'lost' AND close_date <= $cutoff AND close_date > $year_start)
               AS lost_opportunities_year
    FROM core.opportunities
    WHERE customer_id IS NOT NULL AND created_date <= $cutoff
    GROUP BY customer_id
)""",
}

_GROUP_SELECT = {
    "purchases": f"""p.days_since_last_purchase, p.tenure_days, p.purchase_days, p.orders_total,
       round(p.revenue_total, 2) AS revenue_total, round(p.avg_order_value, 2) AS avg_order_value,
       round(p.spend_recent, 2) AS spend_recent, round(p.spend_previous, 2) AS spend_previous,
       round({_TREND.format(r='p.spend_recent', p='p.spend_previous')}, 6) AS spend_trend,
       p.orders_recent, p.orders_previous,
       round({_TREND.format(r='p.orders_recent', p='p.orders_previous')}, 6) AS order_trend,
       round(p.mean_gap_days, 4) AS mean_gap_days,
       round(p.days_since_last_purchase / p.mean_gap_days, 4) AS overdue_ratio,
       p.last_gap_days, p.longest_gap_days, round(p.recent_vs_usual_purchases, 4) AS recent_vs_usual_purchases,
       a.days_since_last_order_any_status, a.order_days_any_status,
       coalesce(c.category_count, 0) AS category_count""",
    "interactions": f"""coalesce(i.interactions_recent, 0) AS interactions_recent,
       coalesce(i.interactions_previous, 0) AS interactions_previous,
       round({_TREND.format(r='i.interactions_recent', p='i.interactions_previous')}, 6) AS interaction_trend,
       i.days_since_last_contact""",
    "service": """coalesce(s.tickets_recent, 0) AS tickets_recent,
       coalesce(s.complaints_recent, 0) AS complaints_recent,
       coalesce(s.complaints_previous, 0) AS complaints_previous, coalesce(s.complaints_total, 0) AS complaints_total,
       round(s.mean_csat, 4) AS mean_csat""",
    "surveys": "sv.last_nps",
    "email": """coalesce(e.emails_delivered_recent, 0) AS emails_delivered_recent,
       round(e.opens_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 6) AS open_rate_recent,
       round(e.opens_previous::DOUBLE / nullif(e.delivered_previous, 0), 6) AS open_rate_previous,
       round(coalesce(e.opens_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 0)
             - coalesce(e.opens_previous::DOUBLE / nullif(e.delivered_previous, 0), 0), 6) AS open_rate_trend,
       round(e.clicks_recent::DOUBLE / nullif(e.emails_delivered_recent, 0), 6) AS click_rate_recent,
       coalesce(e.unsubscribed, false)::INTEGER AS unsubscribed""",
    "opportunities": """coalesce(o.open_opportunities, 0) AS open_opportunities,
       round(coalesce(o.open_opportunity_value, 0), 2) AS open_opportunity_value,
       coalesce(o.won_opportunities_year, 0) AS won_opportunities_year,
       round(coalesce(o.won_opportunity_value, 0), 2) AS won_opportunity_value,
       coalesce(o.lost_opportunities_year, 0) AS lost_opportunities_year""",
}

_GROUP_JOIN = {
    "interactions": "LEFT JOIN interactions i USING (customer_id)",
    "service": "LEFT JOIN service s USING (customer_id)",
    "surveys": "LEFT JOIN surveys sv USING (customer_id)",
    "email": "LEFT JOIN email e USING (customer_id)",
    "opportunities": "LEFT JOIN opportunities o USING (customer_id)",
}


def _table_has_rows_before(conn: duckdb.DuckDBPyConnection, group: FeatureGroup, cutoff: date) -> bool:
    if not table_exists(conn, group.source_table):
        return False
    return bool(conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {group.source_table} WHERE {group.date_column} <= ? "
        "AND customer_id IS NOT NULL LIMIT 1)", [cutoff]).fetchall()[0][0])


def available_groups(conn: duckdb.DuckDBPyConnection, cutoff: date) -> list[str]:
    """Feature groups whose source has rows on or before the cutoff (purchase groups always listed)."""
    return [g.name for g in FEATURE_GROUPS
            if g.name in ("purchases", "purchase_model") or _table_has_rows_before(conn, g, cutoff)]


def window_parameters(cutoff: date, settings: ChurnSettings) -> dict[str, date | int]:
    """The dates every feature window is measured from: recent = (cutoff − trend_days, cutoff],
    previous = the trend_days before that, year = the 365 days before the cutoff."""
    return {
        "cutoff": cutoff,
        "trend_days": settings.trend_days,
        "recent_start": cutoff - timedelta(days=settings.trend_days),
        "previous_start": cutoff - timedelta(days=2 * settings.trend_days),
        "year_start": cutoff - timedelta(days=365),
        "population_start": cutoff - timedelta(days=settings.population_days),
    }


def feature_sql(groups: list[str], with_label: bool) -> str:
    """The SELECT producing one row per customer in the population at $cutoff, with the features
    of the given groups and, when asked, the label from ($cutoff, $label_end]."""
    ctes = [_GROUP_SQL[g] for g in groups if g in _GROUP_SQL]
    selects = ["p.customer_id"] + [_GROUP_SELECT[g] for g in groups if g in _GROUP_SELECT]
    joins = ["LEFT JOIN any_status a USING (customer_id)", "LEFT JOIN categories c USING (customer_id)"]
    joins += [_GROUP_JOIN[g] for g in groups if g in _GROUP_JOIN]
    label = ""
    if with_label:
        ctes.append("""
future_buyers AS (
    SELECT DISTINCT customer_id FROM core.orders
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date > $cutoff AND order_date <= $label_end
)""")
        joins.append("LEFT JOIN future_buyers fb USING (customer_id)")
        label = ",\n       (fb.customer_id IS NULL)::INTEGER AS churned"
    return ("WITH " + ",".join(ctes) + "\nSELECT " + ",\n       ".join(selects) + label
            + "\nFROM population p\n" + "\n".join(joins) + "\nORDER BY p.customer_id")


BGNBD_FEATURES = ("bgnbd_expected_purchases", "bgnbd_p_alive", "bgnbd_p_no_purchase")
MIN_BGNBD_CUSTOMERS = 20
MIN_BGNBD_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class PurchaseModel:
    """The BG/NBD purchase model fitted on the history up to a cutoff, with the purchase summary
    (frequency, recency, age in weeks) of every customer who bought by then."""

    cutoff: date
    params: dict[str, float]
    summary: pl.DataFrame

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(self.summary[c].to_numpy().astype(float) for c in ("frequency", "recency_weeks", "age_weeks"))

    def no_purchase_probability(self, horizon_days: int) -> np.ndarray:
        """P(no purchase in the horizon after the cutoff), one value per summary row."""
        from assets.analytics.clv.asset import DAYS_PER_UNIT
        from assets.analytics.clv.model import bgnbd_probability_no_purchase

        return bgnbd_probability_no_purchase(self.params, horizon_days / DAYS_PER_UNIT, *self._arrays())

    def features(self, horizon_days: int) -> pl.DataFrame:
        """customer_id, frequency and the three purchase-model features over the horizon."""
        from assets.analytics.clv.asset import DAYS_PER_UNIT
        from assets.analytics.clv.model import bgnbd_expected_purchases, bgnbd_p_alive

        x, t_x, big_t = self._arrays()
        expected = bgnbd_expected_purchases(self.params, horizon_days / DAYS_PER_UNIT, x, t_x, big_t)
        return self.summary.select("customer_id", "frequency").with_columns(
            pl.Series("bgnbd_expected_purchases", np.round(expected, 6), dtype=pl.Float64),
            pl.Series("bgnbd_p_alive", np.round(bgnbd_p_alive(self.params, x, t_x, big_t), 6), dtype=pl.Float64),
            pl.Series("bgnbd_p_no_purchase", np.round(self.no_purchase_probability(horizon_days), 6),
                      dtype=pl.Float64))


def fit_purchase_model(conn: duckdb.DuckDBPyConnection, cutoff: date) -> PurchaseModel | None:
    """BG/NBD fitted on every buyer's history up to the cutoff; None when it cannot be (fewer than
    20 buyers or 10 repeat buyers, or a fit that does not converge to finite parameters)."""
    from assets.analytics.clv.asset import DAYS_PER_UNIT, build_customer_summary
    from assets.analytics.clv.model import fit_bgnbd

    build_customer_summary(conn, cutoff)
    try:
        summary = conn.sql(f"""SELECT customer_id, frequency, recency_days / {DAYS_PER_UNIT} AS recency_weeks,
                                      t_days / {DAYS_PER_UNIT} AS age_weeks
                               FROM clv_summary ORDER BY customer_id""").pl()
    finally:
        conn.execute("DROP TABLE IF EXISTS clv_summary")
    x = summary["frequency"].to_numpy().astype(float)
    if x.size < MIN_BGNBD_CUSTOMERS or (x > 0).sum() < MIN_BGNBD_REPEAT_CUSTOMERS:
        return None
    fit = fit_bgnbd(x, summary["recency_weeks"].to_numpy(), summary["age_weeks"].to_numpy())
    if not fit.success or not all(np.isfinite(v) for v in fit.params.values()):
        return None
    return PurchaseModel(cutoff, fit.params, summary)


def bgnbd_forecast(conn: duckdb.DuckDBPyConnection, cutoff: date, horizon_days: int) -> pl.DataFrame | None:
    """For every customer who bought on or before the cutoff: the past repeat-purchase frequency and
    the purchase-model features over the horizon after it (see ``PurchaseModel.features``). None
    when the model cannot be fitted."""
    model = fit_purchase_model(conn, cutoff)
    return model.features(horizon_days) if model is not None else None


def build_features(conn: duckdb.DuckDBPyConnection, cutoff: date, settings: ChurnSettings,
                   with_label: bool, groups: list[str] | None = None,
                   forecast: pl.DataFrame | None = None, label_days: int | None = None) -> pl.DataFrame:
    """One row per customer who bought in the ``population_days`` before the cutoff: the features
    available at the cutoff and, with ``with_label``, ``churned`` = 1 when the customer made no
    completed purchase in the ``label_days`` (default ``horizon_days``) after it. Rows are sorted
    by customer_id. ``forecast`` is a ready bgnbd_forecast at this cutoff over ``label_days``
    (computed here when not given); the purchase-model features are empty when it cannot be fitted,
    so every cutoff gives the same columns."""
    groups = available_groups(conn, cutoff) if groups is None else groups
    label_days = settings.horizon_days if label_days is None else label_days
    params: dict[str, date | int] = window_parameters(cutoff, settings)
    if with_label:
        params["label_end"] = cutoff + timedelta(days=label_days)
    sql = feature_sql(groups, with_label)
    frame = conn.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).pl()
    if "purchase_model" in groups:
        forecast = forecast if forecast is not None else bgnbd_forecast(conn, cutoff, label_days)
        if forecast is not None:
            frame = frame.join(forecast.select("customer_id", *BGNBD_FEATURES), on="customer_id", how="left")
        else:
            frame = frame.with_columns([pl.lit(None, dtype=pl.Float64).alias(f) for f in BGNBD_FEATURES])
    return frame.sort("customer_id")


def feature_columns(frame: pl.DataFrame) -> list[str]:
    """The feature columns present in a feature frame, in the fixed FEATURE_GROUPS order."""
    return [f for g in FEATURE_GROUPS for f in g.features if f in frame.columns]
