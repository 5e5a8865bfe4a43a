"""Product recommendations: the top products for each customer from item-item co-purchase
("customers who bought X also bought Y"), excluding what the customer bought recently, and a backtest
of their hit rate against a popularity baseline. The steps are in
``assets/analytics/recommendations/logic.py``, their SQL in its ``sql/`` folder."""


from dagster import AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.analytics.recommendations.logic import MODELS, build_recommendation_metrics, build_recommendations
from assets.analytics.recommendations.settings import RecommendationSettings
from assets.common.metadata import markdown_table, table_metadata
from assets.common.resources import PipelineSettings, Warehouse


def _backtest_markdown(values: dict[str, dict[str, float | None]], hit_metric: str) -> str:
    lines = []
    for model in MODELS:
        v = values[model]
        hit = "–" if v[hit_metric] is None else f"{100 * v[hit_metric]:.1f}%"
        coverage = "–" if v["catalogue_coverage"] is None else f"{100 * v['catalogue_coverage']:.1f}%"
        lines.append((model, hit, int(v["customers_evaluated"] or 0), coverage))
    return markdown_table(("model", hit_metric, "customers evaluated", "catalogue coverage"), "lrrr", lines)


@multi_asset(
    specs=[
        AssetSpec(
            key=["analytics", "recommendations"], group_name="analytics", kinds={"duckdb"},
            deps=[AssetKey(["core", "order_lines"])],
            description="""Up to 3 (`recommendations.top_n`) products to offer each customer who bought
something in the last 730 days (`recommendations.history_days`): one row per customer and recommended
product, best first. Built from completed order lines only (refunded and cancelled lines never
count); a product is a sku. Customers with no purchase in that window get no rows.

How a product is chosen ("customers who bought X also bought Y"):
- Two products are bought together when the same customer bought both in the window. co(X, Y) =
  number of such customers; pairs bought together by fewer than `recommendations.min_co_customers`
  (2) customers are ignored.
- similarity(X, Y) = co(X, Y) ÷ √(customers who bought X × customers who bought Y) (cosine, 0–1: 1
  means everybody who bought one bought the other). Each product keeps only its 20
  (`recommendations.neighbours_per_item`) most similar products.
- A customer's score for product Y = the sum of similarity(X, Y) over the products X the customer
  bought in the window. Products the customer bought in the last 90 days
  (`recommendations.exclude_recent_days`) are never recommended; products bought earlier may be
  (a reminder to re-order).

Columns:
- customer_id; rank: 1 = best, ranks are 1, 2, 3 without gaps.
- sku, product_name, category: the recommended product (name and category of its latest sale).
- score: for source co_purchase, the sum of similarities above (higher = stronger; ranked by score,
  then sku); for source popular, the share of customers who bought the product in the last 90 days
  (`recommendations.popularity_days`). Rounded to 6 decimals.
- because_of, because_of_product_name: the customer's own purchased product most similar to the
  recommended one (the smaller sku on ties), so an account manager can say "customers who bought
  because_of also bought sku". Empty for popular rows.
- source: co_purchase, or popular when the customer had fewer than 3 co-purchase candidates and the
  remaining ranks were filled with the most-bought products of the last 90 days (by distinct
  customers, then sku), skipping products the customer bought recently or already has.
- as_of: the analysis date.""",
        ),
        AssetSpec(
            key=["analytics", "recommendation_metrics"], group_name="analytics", kinds={"duckdb"},
            deps=[AssetKey(["core", "order_lines"])],
            description="""How well the recommendations would have worked: a backtest. One row per model and
metric.

The recommendations are rebuilt as they would have been at cutoff = as-of − 90 days (`churn.horizon_days`),
using only sales up to the cutoff, and compared with what customers actually bought after it (cutoff <
order date ≤ as-of).
- Evaluated customers: had recommendations at the cutoff and bought at least one product after the
  cutoff that they had not bought in the 90 days before it (`recommendations.exclude_recent_days`;
  re-buying a recent product cannot be predicted, because recent products are never recommended).
- model item_item_co_purchase: the recommendations as in analytics.recommendations (popular fill
  included); model popularity: the baseline, the 3 products most customers bought in the 90 days
  before the cutoff (`recommendations.popularity_days`), skipping the customer's recent products.
- metric hit_rate_at_3 (named after `recommendations.top_n`): share of evaluated customers who bought
  at least one of their recommended products after the cutoff = customers_with_hit ÷
  customers_evaluated; empty when nobody could be evaluated. A model is useful when its hit rate is
  clearly above the popularity baseline's.
- customers_evaluated, customers_with_hit: the two counts (same customers for both models).
- catalogue_coverage = skus_recommended ÷ catalogue_skus: distinct products recommended to at least
  one evaluated customer ÷ products sold in the 730 days before the cutoff (how much of the
  catalogue the model reaches; popularity always offers the same few).
- popular_row_share: share of the recommendation rows that came from the popularity fill (1 for the
  popularity model).
- reorder_row_share: share of the recommendation rows that are products the customer had already
  bought in the 730 days before the cutoff (but not in its last 90 days): reminders to re-order
  rather than new products.
- cutoff, window_end (= as_of), as_of: the dates.""",
        ),
    ],
)
def recommendation_assets(warehouse: Warehouse, settings: PipelineSettings):
    """Build analytics.recommendations and the backtest in analytics.recommendation_metrics."""
    reco_settings = RecommendationSettings.from_thresholds(settings.rules())
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        build_recommendations(conn, as_of, reco_settings)
        yield MaterializeResult(
            asset_key=AssetKey(["analytics", "recommendations"]),
            metadata=table_metadata(conn, "analytics.recommendations", as_of=MetadataValue.text(as_of.isoformat())),
        )
        values = build_recommendation_metrics(conn, as_of, reco_settings)
        yield MaterializeResult(
            asset_key=AssetKey(["analytics", "recommendation_metrics"]),
            metadata=table_metadata(
                conn, "analytics.recommendation_metrics", as_of=MetadataValue.text(as_of.isoformat()),
                backtest=MetadataValue.md(_backtest_markdown(values, reco_settings.hit_rate_metric)),
            ),
        )


RECOMMENDATION_ASSETS = [recommendation_assets]
