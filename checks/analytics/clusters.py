"""Invariants of analytics.clusters and analytics.cluster_profiles, run as Dagster asset checks
(severity ERROR):

- ``clusters_every_buyer_in_one_cluster`` (on analytics/clusters): every customer with a completed
  order on or before the as-of date has exactly one row, nobody else does, and its cluster has a
  profile.
- ``cluster_profiles_add_up`` (on analytics/cluster_profiles): one profile per cluster, its customer
  count equals the cluster's rows in analytics.clusters and the shares add up to 100%.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb

from assets.common.sql import SqlFolder
from checks.common.results import Outcome, within_tolerance_outcome
from checks.common.running import invariant_check, query_outcome

SHARE_TOLERANCE = 1e-6
# The checks' queries, from sql/clusters.sql.
SQL = SqlFolder(__file__)
QUERIES = SQL.named("clusters")


def membership_outcomes(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[Outcome]:
    """Every buying customer in exactly one cluster that has a profile; nobody else."""
    params = {"as_of": as_of}
    buyers = conn.execute(QUERIES["buyers"], params).fetchone()[0]
    rows = conn.execute(QUERIES["rows"]).fetchone()[0]
    return [
        query_outcome(conn, "expect_every_buyer_clustered", "customer_id",
                      "every customer with a completed order up to the as-of date has a cluster", buyers,
                      QUERIES["buyer_not_clustered"], params),
        query_outcome(conn, "expect_only_buyers_clustered", "customer_id",
                      "every clustered customer has a completed order up to the as-of date", rows,
                      QUERIES["not_a_buyer"], params),
        query_outcome(conn, "expect_one_cluster_per_customer", "customer_id",
                      "no customer has more than one row (so exactly one cluster)", rows,
                      QUERIES["repeated_customer"]),
        query_outcome(conn, "expect_cluster_has_profile", "cluster",
                      "every customer's cluster has a row in analytics.cluster_profiles", rows,
                      QUERIES["cluster_without_profile"]),
    ]


def profile_outcomes(conn: duckdb.DuckDBPyConnection) -> list[Outcome]:
    """Profiles count the clusters' customers and their shares add up to 100%."""
    profiles, share_sum = conn.execute(QUERIES["profiles"]).fetchone()
    clustered = conn.execute(QUERIES["rows"]).fetchone()[0]
    outcomes = [
        query_outcome(conn, "expect_profile_counts_match_clusters", "customers",
                      "each profile's customers equals its rows in analytics.clusters (one profile per cluster)",
                      profiles, QUERIES["profile_count_differs"]),
    ]
    outcomes.append(within_tolerance_outcome(
        "expect_shares_sum_to_1", "share", "cluster shares add up to 100%" if clustered else "no customers: no shares",
        element_count=profiles, value=share_sum, expected=1.0 if clustered else 0.0, tolerance=SHARE_TOLERANCE,
    ))
    return outcomes


def clusters_every_buyer_in_one_cluster(conn: duckdb.DuckDBPyConnection, as_of: date,
                                        _rules: Mapping[str, Any]) -> list[Outcome]:
    """Every customer with a completed order on or before the as-of date is in exactly one behavioural
    cluster, nobody else is clustered, and every cluster has a profile (severity ERROR). A
    failure means the cluster tables are stale or inconsistent: rematerialise
    analytics/clusters."""
    return membership_outcomes(conn, as_of)


def cluster_profiles_add_up(conn: duckdb.DuckDBPyConnection, _as_of: date,
                            _rules: Mapping[str, Any]) -> list[Outcome]:
    """There is one profile per cluster, each profile's customer count equals the cluster's customers
    in analytics.clusters, and the shares add up to 100% (severity ERROR)."""
    return profile_outcomes(conn)


CLUSTER_CHECKS = [
    invariant_check(
        "analytics.clusters",
        clusters_every_buyer_in_one_cluster,
        additional_deps=["core.orders", "analytics.cluster_profiles"],
    ),
    invariant_check("analytics.cluster_profiles", cluster_profiles_add_up, additional_deps=["analytics.clusters"]),
]
