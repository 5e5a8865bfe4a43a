"""Behavioural clusters: KMeans (scikit-learn) on scaled behaviour features of every buying customer,
k chosen by silhouette, with a named profile per cluster.

The logic is plain functions (``load_features``, ``choose_clusters``, ``profile_clusters``,
``build_clusters``) that tests call on tiny hand-built tables; the asset only wraps them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import polars as pl
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from assets.common.metadata import table_metadata
from assets.common.resources import PipelineSettings, Warehouse
from assets.common.settings import shipped
from assets.common.tables import table_exists


@dataclass(frozen=True)
class ClusterSettings:
    """The ``[clusters]`` section of settings.toml."""

    k_min: int = int(shipped("clusters", "k_min"))
    k_max: int = int(shipped("clusters", "k_max"))
    seed: int = int(shipped("clusters", "seed"))
    silhouette_sample: int = int(shipped("clusters", "silhouette_sample"))
    activity_window_days: int = int(shipped("clusters", "activity_window_days"))
    trait_min_z: float = float(shipped("clusters", "trait_min_z"))
    n_init: int = int(shipped("clusters", "n_init"))
    max_traits: int = int(shipped("clusters", "max_traits"))

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> "ClusterSettings":
        settings = cls(**{f: type(getattr(cls, f))(section[f]) for f in cls.__dataclass_fields__ if f in section})
        if settings.k_min < 2 or settings.k_max < settings.k_min:
            raise ValueError(
                f"[clusters] needs 2 <= k_min <= k_max, got k_min={settings.k_min}, k_max={settings.k_max}"
            )
        if settings.silhouette_sample < 2 or settings.n_init < 1 or settings.activity_window_days < 1:
            raise ValueError("[clusters] silhouette_sample must be >= 2, n_init and activity_window_days >= 1")
        return settings


@dataclass(frozen=True)
class Feature:
    """A behaviour feature: its column, whether the model sees log1p of it, and the trait words used
    when a cluster's mean is clearly above (high) or below (low) the overall mean."""

    column: str
    log: bool
    high: str
    low: str
    high_zh: str
    low_zh: str


FEATURES: tuple[Feature, ...] = (
    Feature("revenue", True, "high spend", "low spend", "高消费", "低消费"),
    Feature("orders", True, "frequent", "infrequent", "高频购买", "低频购买"),
    Feature("recency_days", True, "lapsed", "recent", "久未购买", "近期购买"),
    Feature("average_order_value", True, "large orders", "small orders", "大额订单", "小额订单"),
    Feature("category_count", True, "broad range", "narrow range", "品类广", "品类单一"),
    Feature("recent_interactions", True, "sales-engaged", "little sales contact", "销售互动多", "销售互动少"),
    Feature("recent_complaints", True, "complaint-prone", "few complaints", "投诉较多", "投诉少"),
    Feature("email_open_rate", False, "opens e-mails", "ignores e-mails", "常打开邮件", "少打开邮件"),
)
FEATURE_COLUMNS = [f.column for f in FEATURES]


def features_sql(conn: duckdb.DuckDBPyConnection, window_days: int) -> str:
    """SELECT of one row per customer with a completed order on or before ``$as_of``, with the raw
    behaviour features. A source table that does not exist counts as empty."""
    window = f"> CAST($as_of AS DATE) - {int(window_days)} AND {{col}} <= CAST($as_of AS DATE)"
    parts = {
        "categories": (
            "core.order_lines",
            """SELECT customer_id, count(DISTINCT category) AS category_count FROM core.order_lines
               WHERE category IS NOT NULL AND order_id IN (SELECT order_id FROM core.orders
                     WHERE is_revenue AND order_date <= CAST($as_of AS DATE))
               GROUP BY customer_id""",
        ),
        "contacts": (
            "core.interactions",
            f"""SELECT customer_id, count(*) AS recent_interactions FROM core.interactions
                WHERE interaction_date {window.format(col="interaction_date")} GROUP BY customer_id""",
        ),
        "complaint_counts": (
            "core.tickets",
            f"""SELECT customer_id, count(*) AS recent_complaints FROM core.tickets
                WHERE is_complaint AND opened_date {window.format(col="opened_date")} GROUP BY customer_id""",
        ),
        "mail": (
            "core.email_events",
            f"""SELECT customer_id,
                       count(DISTINCT coalesce(campaign_id, CAST(event_date AS VARCHAR)))
                         FILTER (WHERE event_type IN ('open', 'click')) AS campaigns_opened,
                       count(DISTINCT coalesce(campaign_id, CAST(event_date AS VARCHAR)))
                         FILTER (WHERE event_type IN ('sent', 'delivered', 'open', 'click')) AS campaigns_received
                FROM core.email_events
                WHERE customer_id IS NOT NULL AND event_date {window.format(col="event_date")}
                GROUP BY customer_id""",
        ),
    }
    empty = {
        "categories": "SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS category_count WHERE false",
        "contacts": "SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS recent_interactions WHERE false",
        "complaint_counts": "SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS recent_complaints WHERE false",
        "mail": "SELECT NULL::VARCHAR AS customer_id, 0::BIGINT AS campaigns_opened, 0::BIGINT AS campaigns_received "
                "WHERE false",
    }
    ctes = ",\n".join(
        f"{name} AS ({sql if table_exists(conn, table) else empty[name]})" for name, (table, sql) in parts.items()
    )
    return f"""
WITH buyers AS (
    SELECT customer_id,
           CAST(date_diff('day', max(order_date), CAST($as_of AS DATE)) AS INTEGER) AS recency_days,
           count(*) AS orders,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS revenue
    FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)
    GROUP BY customer_id
),
{ctes}
SELECT b.customer_id, b.recency_days, b.orders, b.revenue,
       CAST(b.revenue / b.orders AS DECIMAL(18, 2)) AS average_order_value,
       coalesce(c.category_count, 0) AS category_count,
       coalesce(i.recent_interactions, 0) AS recent_interactions,
       coalesce(t.recent_complaints, 0) AS recent_complaints,
       CASE WHEN m.campaigns_received > 0
            THEN round(least(m.campaigns_opened, m.campaigns_received) / m.campaigns_received, 6) END
         AS email_open_rate
FROM buyers b
LEFT JOIN categories c USING (customer_id)
LEFT JOIN contacts i USING (customer_id)
LEFT JOIN complaint_counts t USING (customer_id)
LEFT JOIN mail m USING (customer_id)
ORDER BY b.customer_id
"""


def load_features(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClusterSettings) -> pl.DataFrame:
    """One row per buying customer (ordered by customer_id) with the raw behaviour features."""
    sql = features_sql(conn, settings.activity_window_days)
    cursor = conn.cursor()  # a fresh cursor: no unfinished result of an earlier execute() in the way
    try:
        return cursor.sql(sql, params={"as_of": as_of}).pl()
    finally:
        cursor.close()


def model_matrix(features: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The scaled matrix KMeans sees and the names of the features it uses.

    log1p (of the value floored at 0) for counts and amounts; the e-mail open rate as is, customers
    without e-mails getting the average rate (neutral). Features equal for everyone are dropped; the
    rest are standardised (mean 0, standard deviation 1)."""
    columns, used = [], []
    for feature in FEATURES:
        values = features.get_column(feature.column).cast(pl.Float64).to_numpy().astype(np.float64)
        if feature.log:
            values = np.log1p(np.clip(np.nan_to_num(values, nan=0.0), 0.0, None))
        else:
            known = values[~np.isnan(values)]
            values = np.where(np.isnan(values), known.mean() if known.size else 0.0, values)
        if values.size and np.any(values != values[0]):
            columns.append(values)
            used.append(feature.column)
    if not columns:
        return np.zeros((features.height, 0)), []
    matrix = np.column_stack(columns)
    std = matrix.std(axis=0)
    return (matrix - matrix.mean(axis=0)) / std, used


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # cluster per row, 0 = the highest-spending cluster
    k: int
    silhouette: float | None
    candidates: dict[int, float]  # silhouette per k tried
    reason: str  # why everybody is in one cluster, else ""


def silhouette_scores(points: np.ndarray, label_sets: Sequence[np.ndarray], chunk_cells: int = 2_000_000
                      ) -> list[float]:
    """Mean silhouette (as sklearn.metrics.silhouette_score, Euclidean) of several labelings of the same
    points, computing the pairwise distances once, a block of rows at a time, instead of once per k.

    s(i) = (b − a) ÷ max(a, b), a = mean distance to the other members of i's cluster, b = smallest
    mean distance to another cluster's members; 0 for a point alone in its cluster."""
    m = points.shape[0]
    if not label_sets:
        return []
    sizes_of, blocks = [], []
    for labels in label_sets:
        onehot = np.zeros((m, int(labels.max()) + 1))
        onehot[np.arange(m), labels] = 1.0
        blocks.append(onehot)
        sizes_of.append(onehot.sum(axis=0))
    indicator = np.hstack(blocks)
    sums = np.empty((m, indicator.shape[1]))
    squared = np.einsum("ij,ij->i", points, points)
    step = max(1, chunk_cells // m)
    for start in range(0, m, step):
        stop = min(m, start + step)
        dist = squared[start:stop, None] + squared[None, :] - 2.0 * (points[start:stop] @ points.T)
        np.maximum(dist, 0.0, out=dist)
        np.sqrt(dist, out=dist)
        dist[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = dist @ indicator
    scores, offset = [], 0
    rows = np.arange(m)
    for labels, sizes in zip(label_sets, sizes_of, strict=True):
        k = sizes.size
        block = sums[:, offset:offset + k]
        offset += k
        own_size = sizes[labels]
        a = block[rows, labels] / np.maximum(own_size - 1, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            means = np.where(sizes > 0, block / sizes, np.inf)
        means[rows, labels] = np.inf
        b = means.min(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.nan_to_num((b - a) / np.maximum(a, b))
        s[own_size == 1] = 0.0
        scores.append(float(s.mean()))
    return scores


def choose_clusters(matrix: np.ndarray, settings: ClusterSettings, revenue: np.ndarray | None = None) -> Clustering:
    """KMeans for every k in [k_min, min(k_max, n - 1, distinct rows)], keeping the k with the best
    silhouette (ties → the smaller k). Clusters are numbered by mean revenue descending (then size
    descending). Too few customers or no varying feature → everybody in cluster 0."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    n = matrix.shape[0]
    one = np.zeros(n, dtype=np.int32)
    if n < settings.k_min + 1:
        return Clustering(one, 1, None, {}, f"too few customers to cluster ({n} < k_min + 1 = {settings.k_min + 1})")
    if matrix.shape[1] == 0:
        return Clustering(one, 1, None, {}, "all customers behave alike (no feature varies)")
    distinct = np.unique(matrix, axis=0).shape[0]
    k_high = min(settings.k_max, n - 1, distinct)
    if k_high < settings.k_min:
        return Clustering(one, 1, None, {}, f"only {distinct} distinct behaviour profiles")

    sample = np.arange(n)
    if n > settings.silhouette_sample:
        rng = np.random.default_rng(settings.seed)
        sample = np.sort(rng.choice(n, size=settings.silhouette_sample, replace=False))
    fits: dict[int, np.ndarray] = {}
    # One BLAS/OpenMP thread: KMeans sums its centres per thread, so several threads could add them up
    # in a different order from run to run; one thread keeps the result identical.
    with threadpool_limits(limits=1):
        for k in range(settings.k_min, k_high + 1):
            labels = KMeans(n_clusters=k, n_init=settings.n_init, random_state=settings.seed).fit_predict(matrix)
            found = np.unique(labels[sample]).size
            if np.unique(labels).size == k and 2 <= found <= sample.size - 1:
                fits[k] = labels.astype(np.int32)
        scores = silhouette_scores(matrix[sample], [labels[sample] for labels in fits.values()])
    candidates = {k: round(score, 6) for k, score in zip(fits, scores, strict=True)}
    best = None
    for k, score in candidates.items():  # ascending k: a tie keeps the smaller k
        if best is None or score > best[0]:
            best = (score, k, fits[k])
    if best is None:
        return Clustering(one, 1, None, candidates, "no k gave separate clusters")
    score, k, labels = best
    spend = revenue if revenue is not None else np.zeros(n)
    order = sorted(range(k), key=lambda c: (-float(spend[labels == c].mean()), -int((labels == c).sum()), c))
    relabel = np.empty(k, dtype=np.int32)
    relabel[order] = np.arange(k, dtype=np.int32)
    return Clustering(relabel[labels], k, score, candidates, "")


def _traits(z: Mapping[str, float], min_z: float, max_traits: int) -> tuple[list[str], list[str]]:
    picked = sorted(
        ((abs(value), -i, feature) for i, feature in enumerate(FEATURES)
         if (value := z.get(feature.column)) is not None and abs(value) >= min_z),
        reverse=True,
    )[:max_traits]
    en = [f.high if z[f.column] > 0 else f.low for _, _, f in picked]
    zh = [f.high_zh if z[f.column] > 0 else f.low_zh for _, _, f in picked]
    return en, zh


def profile_clusters(features: pl.DataFrame, matrix: np.ndarray, used: Sequence[str], clustering: Clustering,
                     settings: ClusterSettings) -> pl.DataFrame:
    """One row per cluster: size, share, mean raw feature values, z-scores of the cluster mean of each
    used (scaled) feature against all customers, traits and name."""
    n = features.height
    rows = []
    for cluster in range(clustering.k if n else 0):
        mask = clustering.labels == cluster
        size = int(mask.sum())
        row: dict[str, Any] = {"cluster": cluster, "customers": size, "share": size / n}
        for feature in FEATURES:
            values = features.get_column(feature.column).cast(pl.Float64).to_numpy()[mask]
            values = values[~np.isnan(values)]
            row[f"mean_{feature.column}"] = round(float(values.mean()), 4) if values.size else None
        z = {column: round(float(matrix[mask, i].mean()), 4) for i, column in enumerate(used)}
        for feature in FEATURES:
            row[f"z_{feature.column}"] = z.get(feature.column)
        if clustering.reason:
            en, zh = [clustering.reason], [_reason_zh(clustering.reason)]
            row["cluster_name"], row["cluster_name_zh"] = "All customers", "全部客户"
        else:
            en, zh = _traits(z, settings.trait_min_z, settings.max_traits)
            row["cluster_name"] = ", ".join(en[:2]).capitalize() if en else "Average customers"
            row["cluster_name_zh"] = "、".join(zh[:2]) if zh else "普通客户"
        row["traits"] = ", ".join(en) if en else "close to the average on every feature"
        row["traits_zh"] = "、".join(zh) if zh else "各项特征接近平均"
        rows.append(row)
    for row in rows:  # names must tell clusters apart
        if sum(r["cluster_name"] == row["cluster_name"] for r in rows) > 1:
            row["cluster_name"] += f" (cluster {row['cluster']})"
            row["cluster_name_zh"] += f"（群组{row['cluster']}）"
    schema = {"cluster": pl.Int32, "cluster_name": pl.String, "cluster_name_zh": pl.String,
              "customers": pl.Int64, "share": pl.Float64,
              **{f"mean_{c}": pl.Float64 for c in FEATURE_COLUMNS}, **{f"z_{c}": pl.Float64 for c in FEATURE_COLUMNS},
              "traits": pl.String, "traits_zh": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _reason_zh(reason: str) -> str:
    if reason.startswith("too few"):
        return "客户太少，无法聚类"
    if reason.startswith("all customers"):
        return "所有客户行为相同"
    return "行为特征区分度不足，未分群"


CLUSTERS_SQL = """
CREATE OR REPLACE TABLE analytics.clusters AS
SELECT f.customer_id, l.cluster, p.cluster_name, p.cluster_name_zh,
       f.recency_days, f.orders, f.revenue, f.average_order_value, f.category_count,
       f.recent_interactions, f.recent_complaints, f.email_open_rate,
       CAST($as_of AS DATE) AS as_of
FROM _cluster_features f
JOIN _cluster_labels l USING (customer_id)
JOIN _cluster_profiles p USING (cluster)
ORDER BY f.customer_id
"""

PROFILES_SQL = """
CREATE OR REPLACE TABLE analytics.cluster_profiles AS
SELECT cluster, cluster_name, cluster_name_zh, customers, share,
       {means}, {zs}, traits, traits_zh,
       CAST($silhouette AS DOUBLE) AS silhouette, CAST($k AS INTEGER) AS k,
       CAST($features_used AS VARCHAR) AS features_used,
       CAST($as_of AS DATE) AS as_of
FROM _cluster_profiles
ORDER BY cluster
"""


def build_clusters(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ClusterSettings) -> Clustering:
    """Rebuild analytics.clusters and analytics.cluster_profiles as of the given date."""
    features = load_features(conn, as_of, settings)
    matrix, used = model_matrix(features)
    revenue = features.get_column("revenue").cast(pl.Float64).to_numpy()
    clustering = choose_clusters(matrix, settings, revenue)
    profiles = profile_clusters(features, matrix, used, clustering, settings)
    labels = pl.DataFrame({"customer_id": features.get_column("customer_id"),
                           "cluster": pl.Series(clustering.labels, dtype=pl.Int32)})
    params = {"as_of": as_of}
    profile_sql = PROFILES_SQL.format(means=", ".join(f"mean_{c}" for c in FEATURE_COLUMNS),
                                      zs=", ".join(f"z_{c}" for c in FEATURE_COLUMNS))
    cursor = conn.cursor()  # registered frames live on this cursor only
    try:
        cursor.register("_cluster_features", features)
        cursor.register("_cluster_labels", labels)
        cursor.register("_cluster_profiles", profiles)
        cursor.execute("BEGIN TRANSACTION")
        try:
            cursor.execute(CLUSTERS_SQL, params)
            cursor.execute(profile_sql, {**params, "silhouette": clustering.silhouette, "k": clustering.k,
                                         "features_used": ", ".join(used)})
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
