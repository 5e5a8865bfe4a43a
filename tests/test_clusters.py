"""analytics.clusters and analytics.cluster_profiles on hand-built behaviour with obvious groups."""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from assets.analytics.clusters.asset import build_clusters, load_features
from assets.analytics.clusters.logic import _traits, model_matrix, silhouette_scores
from assets.analytics.clusters.settings import ClusterSettings
from assets.common.settings import load_thresholds
from checks.analytics.clusters import membership_outcomes, profile_outcomes
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox

AS_OF = date(2025, 12, 31)
SETTINGS = ClusterSettings.from_thresholds(load_thresholds()["clusters"])


def warehouse(orders: list[tuple], lines: list[tuple] | None = None, interactions: list[tuple] | None = None,
              tickets: list[tuple] | None = None, emails: list[tuple] | None = None) -> duckdb.DuckDBPyConnection:
    """In-memory core tables; a source given as None is not created at all (a missing source).

    orders: (order_id, customer_id, order_date, amount, is_revenue); lines: (order_id, customer_id,
    category); interactions: (customer_id, date); tickets: (customer_id, date, is_complaint);
    emails: (customer_id, campaign_id, event_type, date)."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    conn.execute("CREATE TABLE core.orders (order_id VARCHAR, customer_id VARCHAR, order_date DATE, "
                 "amount DECIMAL(18, 2), is_revenue BOOLEAN)")
    if orders:
        conn.executemany("INSERT INTO core.orders VALUES (?, ?, ?, ?, ?)", orders)
    for table, ddl, rows in (
        ("order_lines", "order_id VARCHAR, customer_id VARCHAR, category VARCHAR", lines),
        ("interactions", "customer_id VARCHAR, interaction_date DATE", interactions),
        ("tickets", "customer_id VARCHAR, opened_date DATE, is_complaint BOOLEAN", tickets),
        ("email_events", "customer_id VARCHAR, campaign_id VARCHAR, event_type VARCHAR, event_date DATE", emails),
    ):
        if rows is not None:
            conn.execute(f"CREATE TABLE core.{table} ({ddl})")
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"INSERT INTO core.{table} VALUES ({marks})", rows)
    return conn


def group(prefix: str, size: int, orders: int, amount: float, recency: int) -> list[tuple]:
    """``size`` customers alike: ``orders`` orders of about ``amount``, the last about ``recency`` days ago."""
    rows = []
    for i in range(size):
        for j in range(orders):
            day = AS_OF - timedelta(days=recency + i % 5 + 10 * j)
            rows.append((f"{prefix}{i:02d}-{j}", f"{prefix}{i:02d}", day, amount * (1 + 0.02 * (i % 4)), True))
    return rows


THREE_GROUPS = (group("VIP", 20, 10, 5000, 2) + group("MID", 20, 3, 500, 120) + group("OLD", 20, 1, 50, 650))


def labels_by_group(conn: duckdb.DuckDBPyConnection) -> dict[str, set[int]]:
    rows = conn.execute("SELECT customer_id, cluster FROM analytics.clusters").fetchall()
    found: dict[str, set[int]] = {}
    for customer, cluster in rows:
        found.setdefault(customer[:3], set()).add(cluster)
    return found


def test_three_obvious_groups_are_recovered_and_named():
    conn = warehouse(THREE_GROUPS, lines=[], interactions=[], tickets=[], emails=[])
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    assert clustering.k == 3 and clustering.silhouette > 0.8
    # clusters are numbered by mean revenue, highest first
    assert labels_by_group(conn) == {"VIP": {0}, "MID": {1}, "OLD": {2}}
    profiles = conn.execute("SELECT cluster, customers, share, mean_orders, cluster_name, traits, k, "
                            "features_used FROM analytics.cluster_profiles ORDER BY cluster").fetchall()
    assert [p[1:4] for p in profiles] == [(20, pytest.approx(1 / 3), 10.0), (20, pytest.approx(1 / 3), 3.0),
                                         (20, pytest.approx(1 / 3), 1.0)]
    # traits: the three strongest deviations (|z| >= 0.5), the name: the first two of them
    assert [(p[4], p[5]) for p in profiles] == [
        ("Recent, frequent", "recent, frequent, high spend"),
        ("Average customers", "close to the average on every feature"),
        ("Small orders, low spend", "small orders, low spend, infrequent"),
    ]
    assert {p[6] for p in profiles} == {3}
    # empty sources (no categories, contacts, complaints, e-mails) are constant and left out
    assert profiles[0][7] == "revenue, orders, recency_days, average_order_value"
    assert all(o.success for o in membership_outcomes(conn, AS_OF) + profile_outcomes(conn))


def test_two_groups_give_two_clusters():
    conn = warehouse(group("VIP", 15, 8, 3000, 5) + group("OLD", 15, 1, 40, 500))
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    assert clustering.k == 2 and labels_by_group(conn) == {"VIP": {0}, "OLD": {1}}
    assert set(clustering.candidates) == set(range(2, 9))  # every k in [k_min, k_max] was tried


def test_same_data_gives_identical_tables_and_the_sample_is_seeded():
    sampled = replace(SETTINGS, silhouette_sample=25)  # fewer than the 60 customers: silhouette on a sample
    results = []
    for _ in range(2):
        conn = warehouse(THREE_GROUPS)
        clustering = build_clusters(conn, AS_OF, sampled)
        results.append((clustering.candidates,
                        conn.execute("SELECT * FROM analytics.clusters").fetchall(),
                        conn.execute("SELECT * FROM analytics.cluster_profiles").fetchall()))
    assert results[0] == results[1]
    assert [r[0] for r in results[0][1]] == sorted(r[0] for r in results[0][1])  # ordered by customer_id


def test_features_are_computed_from_every_source_as_of_the_date():
    orders = [("O1", "A", AS_OF - timedelta(days=10), 100, True), ("O2", "A", AS_OF - timedelta(days=40), 300, True),
              ("O3", "A", AS_OF - timedelta(days=5), 999, False),  # refunded: not counted
              ("O4", "A", AS_OF + timedelta(days=5), 999, True),  # after the as-of date
              ("O5", "B", AS_OF - timedelta(days=400), 50, True),
              ("O6", "P", AS_OF - timedelta(days=3), 70, False)]  # P never completed an order
    lines = [("O1", "A", "Tea"), ("O1", "A", "Coffee"), ("O2", "A", "Tea"), ("O3", "A", "Cups"),
             ("O5", "B", "Tea")]
    interactions = [("A", AS_OF - timedelta(days=1)), ("A", AS_OF - timedelta(days=364)),
                    ("A", AS_OF - timedelta(days=365)),  # outside the 365-day window
                    ("B", AS_OF + timedelta(days=1))]  # after the as-of date
    tickets = [("A", AS_OF - timedelta(days=20), True), ("A", AS_OF - timedelta(days=20), False)]
    emails = [("A", "M1", "sent", AS_OF - timedelta(days=30)), ("A", "M1", "open", AS_OF - timedelta(days=29)),
              ("A", "M1", "open", AS_OF - timedelta(days=28)), ("A", "M2", "delivered", AS_OF - timedelta(days=9)),
              ("B", "M1", "bounce", AS_OF - timedelta(days=30))]
    conn = warehouse(orders, lines, interactions, tickets, emails)
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    rows = conn.execute("SELECT customer_id, recency_days, orders, revenue, average_order_value, category_count, "
                        "recent_interactions, recent_complaints, email_open_rate, cluster, as_of "
                        "FROM analytics.clusters").fetchall()
    assert [r[:9] for r in rows] == [("A", 10, 2, 400, 200, 2, 2, 1, 0.5), ("B", 400, 1, 50, 50, 1, 0, 0, None)]
    # two buyers are fewer than k_min + 1 = 3: everybody in cluster 0, no crash
    assert clustering.k == 1 and [r[9] for r in rows] == [0, 0] and {r[10] for r in rows} == {AS_OF}
    profile = conn.execute("SELECT cluster, customers, share, cluster_name, traits, silhouette, k, "
                           "mean_revenue, mean_email_open_rate FROM analytics.cluster_profiles").fetchall()
    assert profile == [(0, 2, 1.0, "All customers", "too few customers to cluster (2 < k_min + 1 = 3)", None, 1,
                        225.0, 0.5)]


def test_no_buyers_gives_empty_tables():
    conn = warehouse([("O1", "P", AS_OF, 10, False)])
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    assert clustering.k == 1
    assert conn.execute("SELECT count(*) FROM analytics.clusters").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM analytics.cluster_profiles").fetchone()[0] == 0
    assert all(o.success for o in membership_outcomes(conn, AS_OF) + profile_outcomes(conn))


def test_customers_who_all_behave_alike_form_one_cluster():
    conn = warehouse([(f"O{i}", f"C{i}", AS_OF - timedelta(days=7), 100, True) for i in range(12)])
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    assert (clustering.k, clustering.reason) == (1, "all customers behave alike (no feature varies)")
    assert conn.execute("SELECT DISTINCT cluster, cluster_name_zh FROM analytics.clusters").fetchall() == [
        (0, "全部客户")]


def test_few_distinct_profiles_cap_k():
    # 10 customers but only two distinct behaviours: k cannot exceed 2
    conn = warehouse([(f"O{i}", f"C{i}", AS_OF - timedelta(days=7 if i < 5 else 300), 100 if i < 5 else 10, True)
                      for i in range(10)])
    clustering = build_clusters(conn, AS_OF, SETTINGS)
    assert clustering.k == 2 and set(clustering.candidates) == {2}


def test_model_matrix_scales_and_drops_constant_features():
    conn = warehouse(THREE_GROUPS, emails=[("VIP00", "M1", "open", AS_OF)])
    features = load_features(conn, AS_OF, SETTINGS)
    matrix, used = model_matrix(features)
    assert used == ["revenue", "orders", "recency_days", "average_order_value"]  # one e-mail reader: rate constant
    assert matrix.shape == (60, 4)
    assert np.allclose(matrix.mean(axis=0), 0) and np.allclose(matrix.std(axis=0), 1)


def test_silhouette_of_several_labelings_matches_scikit_learn():
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 1, (150, 3)), rng.normal(4, 1, (150, 3))])
    labelings = [np.repeat([0, 1], 150), rng.integers(0, 3, 300), np.r_[np.zeros(299, int), 1]]  # last: a singleton
    ours = silhouette_scores(points, labelings, chunk_cells=7_000)  # several row blocks
    assert ours == pytest.approx([silhouette_score(points, labels) for labels in labelings], abs=1e-12)


def test_traits_pick_the_strongest_deviations_first():
    z = {"revenue": 1.2, "orders": 0.6, "recency_days": -2.0, "recent_complaints": 0.3, "email_open_rate": -0.7}
    assert _traits(z, 0.5, 3) == (["recent", "high spend", "ignores e-mails"], ["近期购买", "高消费", "少打开邮件"])
    assert _traits({"revenue": 0.1}, 0.5, 3) == ([], [])


def test_checks_catch_a_broken_table():
    conn = warehouse(THREE_GROUPS)
    build_clusters(conn, AS_OF, SETTINGS)
    conn.execute("DELETE FROM analytics.clusters WHERE customer_id = 'MID03'")
    conn.execute("UPDATE analytics.cluster_profiles SET share = 0.5 WHERE cluster = 0")
    assert {o.expectation: o.samples for o in membership_outcomes(conn, AS_OF) if not o.success} == {
        "expect_every_buyer_clustered": ("MID03",)}
    assert {o.expectation: o.samples for o in profile_outcomes(conn) if not o.success} == {
        "expect_profile_counts_match_clusters": ("cluster 1: profile 20 vs rows 19",),
        "expect_shares_sum_to_1": ("1.166666667",)}


def test_materialised_from_exports_with_passing_checks(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    rows = query(paths, "SELECT c.company, k.cluster, k.cluster_name, k.orders, k.recent_interactions, "
                        "k.recent_complaints, k.email_open_rate FROM analytics.clusters k "
                        "JOIN core.customers c USING (customer_id) ORDER BY c.company")
    # two buyers (the prospect is not clustered): too few for k_min = 2, so one cluster
    assert [r[:4] for r in rows] == [("北京远景物流有限公司", 0, "All customers", 1),
                                     ("杭州瑞达科技有限公司", 0, "All customers", 1)]
    assert rows[1][5:] == (1, 1.0)  # T1 is a complaint linked by phone; one campaign received and opened
    assert query(paths, "SELECT k, customers, share FROM analytics.cluster_profiles") == [(1, 2, 1.0)]
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()
                   if e.asset_key.path[0] == "analytics" and "cluster" in e.asset_key.path[1]}
    assert evaluations == {"clusters_every_buyer_in_one_cluster": True, "cluster_profiles_add_up": True}
