"""Churn features and labels at a cutoff date, computed in DuckDB.

Every feature is computed from data dated on or before the cutoff, so the same SQL gives the
training rows (cutoff = as-of − horizon, labels from the horizon after it) and the scoring rows
(cutoff = as-of). Features come in groups, one per source system; a source with no rows on or
before the cutoff contributes no features, so a sales-only installation still trains a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from assets.analytics.churn.settings import ChurnSettings
from assets.common.sql import SqlFolder
from assets.common.tables import table_exists

SQL = SqlFolder(__file__)


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

def _table_has_rows_before(conn: duckdb.DuckDBPyConnection, group: FeatureGroup, cutoff: date) -> bool:
    if not table_exists(conn, group.source_table):
        return False
    return bool(SQL.rows(conn, "source_rows_before", {"table": group.source_table, "column": group.date_column},
                         cutoff=cutoff)[0][0])


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
        from assets.analytics.clv.logic import DAYS_PER_UNIT
        from assets.analytics.clv.model import bgnbd_probability_no_purchase

        return bgnbd_probability_no_purchase(self.params, horizon_days / DAYS_PER_UNIT, *self._arrays())

    def features(self, horizon_days: int) -> pl.DataFrame:
        """customer_id, frequency and the three purchase-model features over the horizon."""
        from assets.analytics.clv.logic import DAYS_PER_UNIT
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
    from assets.analytics.clv.asset import build_customer_summary, drop_customer_summary
    from assets.analytics.clv.logic import DAYS_PER_UNIT
    from assets.analytics.clv.model import fit_bgnbd

    build_customer_summary(conn, cutoff)
    try:
        summary = SQL.frame(conn, "purchase_history", days_per_unit=DAYS_PER_UNIT)
    finally:
        drop_customer_summary(conn)
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
    frame = SQL.frame(conn, "churn_features", {"groups": groups, "with_label": with_label}, **params)
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
