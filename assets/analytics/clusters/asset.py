"""Behavioural clusters: KMeans (scikit-learn) on scaled behaviour features of every buying customer,
k chosen by silhouette, with a named profile per cluster.

The logic is plain functions (``load_features``, ``choose_clusters``, ``profile_clusters``,
``build_clusters``) that tests call on tiny hand-built tables; the asset only wraps them.
"""

from datetime import date

import duckdb
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.analytics.clusters.logic import (
    FEATURE_COLUMNS,
    Clustering,
    choose_clusters,
    model_matrix,
    profile_clusters,
)
from assets.analytics.clusters.settings import ClusterSettings
from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.sql import SqlFolder
from assets.common.tables import table_exists

SQL = SqlFolder(__file__)
# The sources of the activity features: a table that does not exist counts as empty.
FEATURE_SOURCES = {"categories": "core.order_lines", "contacts": "core.interactions",
                   "complaint_counts": "core.tickets", "mail": "core.email_events"}


def load_features(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClusterSettings) -> pl.DataFrame:
    """One row per buying customer (ordered by customer_id) with the raw behaviour features. A source
    table that does not exist counts as empty."""
    sources = {name: table_exists(conn, table) for name, table in FEATURE_SOURCES.items()}
    return SQL.frame(conn, "cluster_features", {"sources": sources},
                     as_of=as_of, window_days=int(settings.activity_window_days))


def build_clusters(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClusterSettings) -> Clustering:
    """Rebuild analytics.clusters and analytics.cluster_profiles as of the given date."""
    features = load_features(conn, as_of, settings)
    matrix, used = model_matrix(features)
    revenue = features.get_column("revenue").cast(pl.Float64).to_numpy()
    clustering = choose_clusters(matrix, settings, revenue)
    profiles = profile_clusters(features, matrix, used, clustering, settings)
    labels = pl.DataFrame({"customer_id": features.get_column("customer_id"),
                           "cluster": pl.Series(clustering.labels, dtype=pl.Int32)})
    cursor = conn.cursor()  # registered frames live on this cursor only
    try:
        cursor.register("_cluster_features", features)
        cursor.register("_cluster_labels", labels)
        cursor.register("_cluster_profiles", profiles)
        cursor.execute("BEGIN TRANSACTION")
        try:
            SQL.run(cursor, "clusters", {"features": FEATURE_COLUMNS}, as_of=as_of,
                    silhouette=clustering.silhouette, k=clustering.k, features_used=", ".join(used))
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        cursor.close()
    return clustering


_CLUSTERS_DESCRIPTION = """One row per customer with at least one completed order on or before the as-of
date (prospects are not clustered), with the behavioural cluster KMeans put it in and the features it
was clustered on, all as of the as-of date:
- cluster: 0 .. k−1, numbered by the cluster's mean revenue, highest first (ties: larger cluster first).
- cluster_name / cluster_name_zh: the cluster's name from analytics.cluster_profiles.
- recency_days: days since the last completed order. orders: completed orders (all time up to the
  as-of date). revenue: their total amount (CNY). average_order_value: revenue ÷ orders.
- category_count: distinct product categories on the lines of completed orders.
- recent_interactions: CRM activities (calls, visits, meetings, WeChat, e-mails) in the last
  `clusters.activity_window_days` (365) days up to the as-of date. recent_complaints: complaint tickets
  opened in that window.
- email_open_rate: campaigns opened or clicked ÷ campaigns received (sent, delivered, opened or
  clicked) in that window; empty for customers without marketing e-mails.
- as_of: the analysis date.
Model: each feature except the open rate enters as log(1 + value) (negative values floored at 0); a
missing open rate enters as the average rate (neutral); features equal for every customer (e.g. a
source that was not delivered) are dropped; the rest are standardised (StandardScaler). KMeans
(`clusters.n_init` starts, random_state = `clusters.seed`) runs for every k from `clusters.k_min` to
`clusters.k_max` (at most customers − 1); the k with the highest silhouette score, computed on a
seeded sample of at most `clusters.silhouette_sample` customers, wins (ties → smaller k). With fewer
than k_min + 1 customers, or no feature that varies, everybody is in cluster 0. Same data and settings
→ identical table."""

_PROFILES_DESCRIPTION = """One row per behavioural cluster of analytics.clusters:
- cluster, customers (how many), share (customers ÷ all clustered customers; shares add up to 1).
- mean_<feature>: plain average of each feature of analytics.clusters over the cluster's customers
  (mean_email_open_rate over those with e-mails; empty if none).
- z_<feature>: how far the cluster sits from all customers on the model's scale: the average of the
  standardised model value (log(1 + value), or the open rate) over the cluster's customers, in
  standard deviations. Empty for features the model did not use (see features_used).
- traits / traits_zh: up to `clusters.max_traits` (3) words for the features with |z| ≥
  `clusters.trait_min_z` (0.5), strongest first: high spend / low spend, frequent / infrequent,
  lapsed / recent (recency), large / small orders, broad / narrow range (categories), sales-engaged /
  little sales contact, complaint-prone / few complaints, opens / ignores e-mails. "close to the average
  on every feature" when none qualifies.
- cluster_name / cluster_name_zh: the first two traits ("Average customers" when none; the cluster
  number is appended when two clusters would share a name). With everybody in one cluster the name is
  "All customers" and traits says why (too few customers, nobody differs).
- silhouette: silhouette score of the chosen clustering (−1..1, higher = better separated; empty for
  one cluster); k: number of clusters; features_used: features the model used; as_of."""


@multi_asset(
    specs=[
        AssetSpec(key=["analytics", "clusters"], group_name="analytics", kinds={"duckdb", "sklearn"},
                  description=_CLUSTERS_DESCRIPTION,
                  deps=[AssetKey(["core", "orders"]), AssetKey(["core", "order_lines"]),
                        AssetKey(["core", "interactions"]), AssetKey(["core", "tickets"]),
                        AssetKey(["core", "email_events"])]),
        AssetSpec(key=["analytics", "cluster_profiles"], group_name="analytics", kinds={"duckdb", "sklearn"},
                  description=_PROFILES_DESCRIPTION, deps=[AssetKey(["analytics", "clusters"])]),
    ],
    name="analytics__clusters",
)
def clusters(context: AssetExecutionContext, warehouse: Warehouse, settings: PipelineSettings):
    cluster_settings = ClusterSettings.from_thresholds(settings.rules().get("clusters", {}))
    with warehouse.connect() as conn:
        as_of = settings.run_as_of(conn)
        clustering = build_clusters(conn, as_of, cluster_settings)
        extra = {
            "as_of": MetadataValue.text(as_of.isoformat()),
            "k": MetadataValue.int(clustering.k),
            "silhouette_by_k": MetadataValue.json({str(k): s for k, s in clustering.candidates.items()}),
        }
        yield MaterializeResult(asset_key=AssetKey(["analytics", "clusters"]),
                                metadata=table_metadata(conn, "analytics.clusters", **extra))
        yield MaterializeResult(asset_key=AssetKey(["analytics", "cluster_profiles"]),
                                metadata=table_metadata(conn, "analytics.cluster_profiles", **extra))


CLUSTER_ASSETS = [clusters]
