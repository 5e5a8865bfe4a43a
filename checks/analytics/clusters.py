"""Invariants of analytics.clusters and analytics.cluster_profiles, run as Dagster asset checks
(severity ERROR):

- ``clusters_every_buyer_in_one_cluster`` (on analytics/clusters): every customer with a completed
  order on or before the as-of date has exactly one row, nobody else does, and its cluster has a
  profile.
- ``cluster_profiles_add_up`` (on analytics/cluster_profiles): one profile per cluster, its customer
  count equals the cluster's rows in analytics.clusters and the shares add up to 100%.
"""

from datetime import date

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetKey,
    asset_check,
)

from assets.common.resources import PipelineSettings, Warehouse
from checks.common.results import Outcome
from checks.common.running import query_outcome, run_check

SHARE_TOLERANCE = 1e-6

_BUYERS = """SELECT DISTINCT customer_id FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL AND order_date <= CAST($as_of AS DATE)"""


def membership_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Every buying customer in exactly one cluster that has a profile; nobody else."""
    params = {"as_of": as_of}
    buyers = conn.execute(f"SELECT count(*) FROM ({_BUYERS})", params).fetchone()[0]
    rows = conn.execute("SELECT count(*) FROM analytics.clusters").fetchone()[0]
    return [
        query_outcome(conn, "expect_every_buyer_clustered", "customer_id",
                 "every customer with a completed order up to the as-of date has a cluster", buyers,
                 f"SELECT customer_id FROM ({_BUYERS}) b WHERE NOT EXISTS "
                 "(SELECT 1 FROM analytics.clusters c WHERE c.customer_id = b.customer_id)", params),
        query_outcome(conn, "expect_only_buyers_clustered", "customer_id",
                 "every clustered customer has a completed order up to the as-of date", rows,
                 f"SELECT coalesce(customer_id, '(empty)') FROM analytics.clusters WHERE customer_id IS NULL "
                 f"OR customer_id NOT IN ({_BUYERS})", params),
        query_outcome(conn, "expect_one_cluster_per_customer", "customer_id",
                 "no customer has more than one row (so exactly one cluster)", rows,
                 "SELECT customer_id || ' × ' || count(*) FROM analytics.clusters GROUP BY customer_id "
                 "HAVING count(*) > 1"),
        query_outcome(conn, "expect_cluster_has_profile", "cluster",
                 "every customer's cluster has a row in analytics.cluster_profiles", rows,
                 "SELECT customer_id || ' → ' || coalesce(CAST(cluster AS VARCHAR), '(empty)') "
                 "FROM analytics.clusters c WHERE cluster IS NULL OR NOT EXISTS "
                 "(SELECT 1 FROM analytics.cluster_profiles p WHERE p.cluster = c.cluster)"),
    ]


def profile_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Profiles count the clusters' customers and their shares add up to 100%."""
    profiles, share_sum = conn.execute(
        "SELECT count(*), coalesce(sum(share), 0) FROM analytics.cluster_profiles"
    ).fetchone()
    clustered = conn.execute("SELECT count(*) FROM analytics.clusters").fetchone()[0]
    outcomes = [
        query_outcome(conn, "expect_profile_counts_match_clusters", "customers",
                 "each profile's customers equals its rows in analytics.clusters (one profile per cluster)",
                 profiles,
                 """SELECT 'cluster ' || CAST(coalesce(p.cluster, c.cluster) AS VARCHAR) || ': profile '
                           || coalesce(CAST(p.customers AS VARCHAR), '(none)') || ' vs rows '
                           || coalesce(CAST(c.n AS VARCHAR), '0')
                    FROM (SELECT cluster, customers, count(*) OVER (PARTITION BY cluster) AS dup
                          FROM analytics.cluster_profiles) p
                    FULL JOIN (SELECT cluster, count(*) AS n FROM analytics.clusters GROUP BY cluster) c
                      ON p.cluster = c.cluster
                    WHERE p.customers IS DISTINCT FROM c.n OR p.dup > 1""",
                 ),
    ]
    expected = 1.0 if clustered else 0.0
    ok = abs(float(share_sum) - expected) <= SHARE_TOLERANCE
    outcomes.append(Outcome(
        expectation="expect_shares_sum_to_1", column="share",
        description="cluster shares add up to 100%" if clustered else "no customers: no shares",
        success=ok, element_count=int(profiles), unexpected_count=0 if ok else 1,
        samples=() if ok else (f"{float(share_sum):.9f}",),
    ))
    return outcomes


def _result(context, warehouse: Warehouse, settings: PipelineSettings, check_name: str, table: str
            ) -> AssetCheckResult:
    def compute(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
        return membership_outcomes(conn, as_of) if table == "analytics.clusters" else profile_outcomes(conn)

    return run_check(context, warehouse, settings, check_name=check_name, table=table, compute=compute)


@asset_check(
    asset=AssetKey(["analytics", "clusters"]),
    name="clusters_every_buyer_in_one_cluster",
    additional_deps=[AssetKey(["core", "orders"]), AssetKey(["analytics", "cluster_profiles"])],
    description="Every customer with a completed order on or before the as-of date is in exactly one "
    "behavioural cluster, nobody else is clustered, and every cluster has a profile (severity ERROR). "
    "A failure means the cluster tables are stale or inconsistent: rematerialise analytics/clusters.",
)
def clusters_every_buyer_in_one_cluster(context: AssetCheckExecutionContext, warehouse: Warehouse,
                                        settings: PipelineSettings) -> AssetCheckResult:
    return _result(context, warehouse, settings, "clusters_every_buyer_in_one_cluster", "analytics.clusters")


@asset_check(
    asset=AssetKey(["analytics", "cluster_profiles"]),
    name="cluster_profiles_add_up",
    additional_deps=[AssetKey(["analytics", "clusters"])],
    description="There is one profile per cluster, each profile's customer count equals the cluster's "
    "customers in analytics.clusters, and the shares add up to 100% (severity ERROR).",
)
def cluster_profiles_add_up(context: AssetCheckExecutionContext, warehouse: Warehouse,
                            settings: PipelineSettings) -> AssetCheckResult:
    return _result(context, warehouse, settings, "cluster_profiles_add_up", "analytics.cluster_profiles")


CLUSTER_CHECKS = [clusters_every_buyer_in_one_cluster, cluster_profiles_add_up]
