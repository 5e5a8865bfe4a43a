"""The clustering itself, on a features frame: the behaviour features and their trait words, the
scaled model matrix, KMeans with k chosen by silhouette, and the named profile of each cluster."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from assets.analytics.clusters.settings import ClusterSettings


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
