"""Product recommendations (item-item co-purchase) and their backtest against a popularity baseline,
on hand-built core.order_lines with answers worked out by hand; a brute-force reference on random
data; the checks; and one materialisation."""

import math
import os
import random
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, materialize

import assets.analytics.recommendations.logic as reco_sql
from assets.analytics.recommendations.asset import RECOMMENDATION_ASSETS
from assets.analytics.recommendations.logic import build_all, build_recommendation_metrics, build_recommendations
from assets.analytics.recommendations.settings import RecommendationSettings
from checks.analytics.recommendations import RECOMMENDATION_CHECKS, ranked_list_outcomes, recent_purchase_outcomes
from pipelines.definitions import ALL_ASSETS, build_resources
from tests.conftest import query
from tests.inbox_builders import four_source_inbox

AS_OF = date(2025, 6, 30)
OLD = 200  # days before the as-of date: inside the 730-day history, outside the 90 recent days
LOOSE = RecommendationSettings(min_co_customers=1)  # every pair counts: small hand examples


def warehouse(lines: list[tuple]) -> duckdb.DuckDBPyConnection:
    """In-memory warehouse with core.order_lines from (customer_id, sku, order_date[, status]) rows."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    conn.execute("CREATE TABLE core.order_lines (order_id VARCHAR, line_no INTEGER, customer_id VARCHAR, "
                 "order_date DATE, sku VARCHAR, product_name VARCHAR, category VARCHAR, quantity DOUBLE, "
                 "amount DECIMAL(18, 2), status VARCHAR)")
    rows = [(f"O{n}", 1, line[0], line[2], line[1], None if line[1] is None else f"Product {line[1]}", "Office",
             1.0, 10, line[3] if len(line) > 3 else "completed") for n, line in enumerate(lines)]
    if rows:
        conn.executemany("INSERT INTO core.order_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return conn


def bought(customer: str, skus: str, days_before: int, anchor: date = AS_OF, status: str = "completed"):
    """One order line per sku letter, all on anchor − days_before."""
    return [(customer, sku, anchor - timedelta(days=days_before), status) for sku in skus]


def recs(conn, table: str = "analytics.recommendations") -> dict[str, list[tuple]]:
    """{customer: [(sku, score, because_of, source), ...] in rank order}, checking ranks are 1..n."""
    out: dict[str, list[tuple]] = {}
    for customer, rank, sku, score, because, source in conn.execute(
            f"SELECT customer_id, rank, sku, score, because_of, source FROM {table} ORDER BY customer_id, rank"
    ).fetchall():
        out.setdefault(customer, []).append((sku, score, because, source))
        assert rank == len(out[customer])
    return out


def metrics(conn) -> dict[tuple[str, str], float | None]:
    return {(m, k): v for m, k, v in conn.execute(
        "SELECT model, metric, value FROM analytics.recommendation_metrics").fetchall()}


# --- settings ------------------------------------------------------------------------------------


def test_settings_default_when_the_section_is_absent_and_take_the_churn_horizon():
    assert RecommendationSettings.from_thresholds({}) == RecommendationSettings()
    s = RecommendationSettings.from_thresholds({"recommendations": {"top_n": 5, "exclude_recent_days": 30},
                                                "churn": {"horizon_days": 60}})
    assert (s.top_n, s.exclude_recent_days, s.history_days, s.horizon_days) == (5, 30, 730, 60)
    assert s.hit_rate_metric == "hit_rate_at_5"
    with pytest.raises(ValueError, match="top_n must be at least 1"):
        RecommendationSettings.from_thresholds({"recommendations": {"top_n": 0}})
    with pytest.raises(ValueError, match="exclude_recent_days"):
        RecommendationSettings.from_thresholds({"recommendations": {"exclude_recent_days": 800}})


# --- cosine scores, ties, exclusions -------------------------------------------------------------

# K1, K2: A+B; K3: A+C; K4: C+D; X: A. n(A) = 4, n(B) = 2, n(C) = 2, n(D) = 1;
# co(A,B) = 2, co(A,C) = 1, co(C,D) = 1. sim(A,B) = 2/√8 = 0.707107, sim(A,C) = 1/√8 = 0.353553,
# sim(C,D) = 1/√2 = 0.707107.
EXAMPLE = (bought("K1", "AB", OLD) + bought("K2", "AB", OLD) + bought("K3", "AC", OLD) + bought("K4", "CD", OLD)
           + bought("X", "A", OLD))


def test_cosine_scores_ties_and_because_of_by_hand():
    conn = warehouse(EXAMPLE)
    build_recommendations(conn, AS_OF, LOOSE)
    got = recs(conn)
    # X bought A: B (0.707107) then C (0.353553), both because of A; nobody bought anything in the
    # last 90 days, so there is nothing popular to fill rank 3 with
    assert got["X"] == [("B", 0.707107, "A", "co_purchase"), ("C", 0.353553, "A", "co_purchase")]
    # K4 bought C and D (long ago, so both may be re-ordered): C via D and D via C tie at 0.707107 → C
    # first (sku order); A via C 0.353553
    assert got["K4"] == [("C", 0.707107, "D", "co_purchase"), ("D", 0.707107, "C", "co_purchase"),
                         ("A", 0.353553, "C", "co_purchase")]
    # K3 bought A and C: B via A and D via C tie at 0.707107 (B first); A via C and C via A tie at
    # 0.353553 (A first), and only 3 are kept
    assert got["K3"] == [("B", 0.707107, "A", "co_purchase"), ("D", 0.707107, "C", "co_purchase"),
                         ("A", 0.353553, "C", "co_purchase")]
    assert got["K1"] == got["K2"] == [("A", 0.707107, "B", "co_purchase"), ("B", 0.707107, "A", "co_purchase"),
                                      ("C", 0.353553, "A", "co_purchase")]
    names = conn.execute("SELECT DISTINCT product_name, because_of_product_name, category, as_of FROM "
                         "analytics.recommendations WHERE customer_id = 'X' AND rank = 1").fetchall()
    assert names == [("Product B", "Product A", "Office", AS_OF)]


def test_scores_add_up_over_purchases_and_because_of_ties_go_to_the_smaller_sku():
    # n(A) = n(B) = n(C) = 2; co(A,C) = co(B,C) = co(A,B) = 1 → every similarity is 1/√4 = 0.5
    conn = warehouse(bought("K1", "AC", OLD) + bought("K2", "BC", OLD) + bought("X", "AB", OLD))
    build_recommendations(conn, AS_OF, LOOSE)
    # X: C = sim(A,C) + sim(B,C) = 1.0, because of A (tie with B); A via B 0.5; B via A 0.5
    assert recs(conn)["X"] == [("C", 1.0, "A", "co_purchase"), ("A", 0.5, "B", "co_purchase"),
                               ("B", 0.5, "A", "co_purchase")]


def test_min_co_customers_drops_rare_pairs_and_customers_without_candidates_get_no_rows():
    conn = warehouse(EXAMPLE)
    build_recommendations(conn, AS_OF, RecommendationSettings())  # min_co_customers = 2: only A-B survives
    got = recs(conn)
    assert got["X"] == [("B", 0.707107, "A", "co_purchase")]
    assert "K4" not in got  # C and D have no pair bought by 2 customers, and nothing is popular
    assert got["K3"] == [("B", 0.707107, "A", "co_purchase")]


def test_each_sku_keeps_only_its_strongest_neighbours():
    conn = warehouse(EXAMPLE)
    build_recommendations(conn, AS_OF, RecommendationSettings(min_co_customers=1, neighbours_per_item=1))
    got = recs(conn)
    # A keeps B (0.707 > 0.354), C keeps D; so K3 (A, C) gets B and D, X only B
    assert got["K3"] == [("B", 0.707107, "A", "co_purchase"), ("D", 0.707107, "C", "co_purchase")]
    assert got["X"] == [("B", 0.707107, "A", "co_purchase")]


@pytest.mark.parametrize(("days_before", "excluded"), [(10, True), (89, True), (90, False), (OLD, False)])
def test_recent_purchases_are_not_recommended(days_before, excluded):
    # K1, K2: A+B; K3: A+C; Y: A long ago, B days_before. n(A) = 4, n(B) = 3, n(C) = 1;
    # co(A,B) = 3 → 3/√12 = 0.866025; co(A,C) = 1 → 1/√4 = 0.5
    conn = warehouse(bought("K1", "AB", OLD) + bought("K2", "AB", OLD) + bought("K3", "AC", OLD)
                     + bought("Y", "A", OLD) + bought("Y", "B", days_before))
    build_recommendations(conn, AS_OF, LOOSE)
    got = recs(conn)["Y"]
    if excluded:  # B was bought in the 90 days up to the as-of date (as_of − 90 < date ≤ as_of)
        assert [r[:3] for r in got if r[3] == "co_purchase"] == [("A", 0.866025, "B"), ("C", 0.5, "A")]
    else:
        assert [r[:3] for r in got] == [("A", 0.866025, "B"), ("B", 0.866025, "A"), ("C", 0.5, "A")]


def test_orders_outside_the_window_refunds_and_missing_customers_do_not_count():
    conn = warehouse(EXAMPLE + bought("K9", "XY", 731) + bought("K8", "XY", OLD, status="refunded")
                     + bought("K7", "XY", OLD, status="cancelled") + [(None, "X", AS_OF - timedelta(days=OLD)),
                                                                      (None, "Y", AS_OF - timedelta(days=OLD))]
                     + bought("K6", "XY", -1))  # after the as-of date
    build_recommendations(conn, AS_OF, LOOSE)
    got = recs(conn)
    assert set(got) == {"K1", "K2", "K3", "K4", "X"}
    assert not {sku for rows in got.values() for sku, *_ in rows} & {"X", "Y"}


def test_popularity_fills_the_remaining_ranks_and_says_so():
    # K1: A+B, X: A (long ago) → sim(A,B) = 1/√2 = 0.707107. In the last 90 days P1 and P2 bought D
    # and P3 bought E: 3 buyers, D 2/3, E 1/3.
    conn = warehouse(bought("K1", "AB", OLD) + bought("X", "A", OLD) + bought("P1", "D", 10)
                     + bought("P2", "D", 20) + bought("P3", "E", 30))
    build_recommendations(conn, AS_OF, LOOSE)
    got = recs(conn)
    assert got["X"] == [("B", 0.707107, "A", "co_purchase"), ("D", 0.666667, None, "popular"),
                        ("E", 0.333333, None, "popular")]
    assert got["K1"] == [("A", 0.707107, "B", "co_purchase"), ("B", 0.707107, "A", "co_purchase"),
                         ("D", 0.666667, None, "popular")]
    assert got["P1"] == [("E", 0.333333, None, "popular")]  # its own recent D is skipped
    assert got["P3"] == [("D", 0.666667, None, "popular")]


def test_top_n_setting():
    conn = warehouse(EXAMPLE)
    build_recommendations(conn, AS_OF, RecommendationSettings(min_co_customers=1, top_n=1))
    assert {c: [r[0] for r in rows] for c, rows in recs(conn).items()} == {
        "K1": ["A"], "K2": ["A"], "K3": ["B"], "K4": ["C"], "X": ["B"]}


# --- backtest ------------------------------------------------------------------------------------

CUTOFF = AS_OF - timedelta(days=90)  # 2025-04-01


def backtest_lines() -> list[tuple]:
    """Before the cutoff: K1, K2 A+B; K3 A+C; X, Y, Z: A; V: A and, recently, D; P1, P2: D recently;
    Z also bought A recently. After the cutoff: X buys B, Y buys C, K1 buys D (and a refunded C),
    V buys A, Z re-buys A, P1 re-buys D, W (new customer) buys B."""
    before = (bought("K1", "AB", OLD, CUTOFF) + bought("K2", "AB", OLD, CUTOFF) + bought("K3", "AC", OLD, CUTOFF)
              + bought("X", "A", OLD, CUTOFF) + bought("Y", "A", OLD, CUTOFF) + bought("Z", "A", OLD, CUTOFF)
              + bought("Z", "A", 10, CUTOFF) + bought("V", "A", OLD, CUTOFF) + bought("V", "D", 30, CUTOFF)
              + bought("P1", "D", 30, CUTOFF) + bought("P2", "D", 20, CUTOFF))
    after = (bought("X", "B", -10, CUTOFF) + bought("Y", "C", -20, CUTOFF) + bought("K1", "D", -5, CUTOFF)
             + bought("K1", "C", -6, CUTOFF, status="refunded") + bought("V", "A", -90, CUTOFF)
             + bought("Z", "A", -30, CUTOFF) + bought("P1", "D", -30, CUTOFF) + bought("W", "B", -1, CUTOFF))
    return before + after


def test_backtest_recommendations_use_only_data_up_to_the_cutoff():
    # n(A) = 7 (K1 K2 K3 X Y Z V), n(B) = 2, n(C) = 1, n(D) = 3 (V P1 P2); co(A,B) = 2 → 2/√14 = 0.534522,
    # co(A,C) = 1 → 1/√7 = 0.377964, co(A,D) = 1 → 1/√21 = 0.218218. D is recent for V.
    conn = warehouse(backtest_lines())
    build_recommendations(conn, CUTOFF, LOOSE)
    got = {c: [r[:3] for r in rows] for c, rows in recs(conn).items()}
    assert got["X"] == got["Y"] == [("B", 0.534522, "A"), ("C", 0.377964, "A"), ("D", 0.218218, "A")]
    assert got["K1"] == [("A", 0.534522, "B"), ("B", 0.534522, "A"), ("C", 0.377964, "A")]
    assert got["V"] == [("B", 0.534522, "A"), ("C", 0.377964, "A"), ("A", 0.218218, "D")]
    assert "W" not in got


def test_hit_rate_and_popularity_baseline_on_a_constructed_window():
    conn = warehouse(backtest_lines())
    values = build_recommendation_metrics(conn, AS_OF, LOOSE)
    # Evaluated: X, Y, K1, V (bought something after the cutoff that was not recent for them). Not Z
    # (only re-bought its recent A), P1 (recent D), W (no recommendations at the cutoff).
    # Item-item (lists above): X bought B (hit), Y bought C (hit), K1 bought D (miss; the refunded C
    # does not count), V bought A (hit, rank 3) → 3 / 4.
    # Popularity at the cutoff (distinct customers in the 90 days before it): D (P1 P2 V) then A (Z).
    # X [D, A] miss, Y [D, A] miss, K1 [D, A] hit, V [A] (D recent) hit → 2 / 4.
    # Coverage: item-item recommended A B C D, popularity D A, of 4 skus sold before the cutoff.
    # Re-orders (skus the customer bought before): item-item K1's A and B, V's A = 3 of 12 rows;
    # popularity: the A of X, Y, K1 and V = 4 of 7 rows.
    assert values["item_item_co_purchase"] == {
        "hit_rate_at_3": 0.75, "customers_evaluated": 4, "customers_with_hit": 3, "catalogue_coverage": 1.0,
        "skus_recommended": 4, "catalogue_skus": 4, "popular_row_share": 0.0, "reorder_row_share": 0.25}
    assert values["popularity"] == {
        "hit_rate_at_3": 0.5, "customers_evaluated": 4, "customers_with_hit": 2, "catalogue_coverage": 0.5,
        "skus_recommended": 2, "catalogue_skus": 4, "popular_row_share": 1.0, "reorder_row_share": 0.571429}
    rows = conn.execute("SELECT model, metric, cutoff, window_end, as_of FROM analytics.recommendation_metrics"
                        ).fetchall()
    assert [r[:2] for r in rows[:3]] == [("item_item_co_purchase", "hit_rate_at_3"),
                                         ("item_item_co_purchase", "customers_evaluated"),
                                         ("item_item_co_purchase", "customers_with_hit")]
    assert len(rows) == 16 and {r[2:] for r in rows} == {(CUTOFF, AS_OF, AS_OF)}
    assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall() == [(0,)]


def test_popular_fill_rows_count_for_the_model_and_the_metric_follows_top_n():
    # X's only co-purchase candidate is B; rank 2 is the popular D, which X then buys
    lines = (bought("K1", "AB", OLD, CUTOFF) + bought("X", "A", OLD, CUTOFF) + bought("P1", "D", 10, CUTOFF)
             + bought("X", "D", -5, CUTOFF))
    conn = warehouse(lines)
    values = build_recommendation_metrics(conn, AS_OF, RecommendationSettings(min_co_customers=1, top_n=2))
    # X is the only customer evaluated. Its list at the cutoff: B (co-purchase, via A), D (popular: P1
    # is the only buyer in the 90 days before the cutoff) → hit; the popularity baseline [D] → hit
    assert values["item_item_co_purchase"]["hit_rate_at_2"] == 1.0
    assert values["item_item_co_purchase"]["popular_row_share"] == 0.5
    assert values["popularity"]["hit_rate_at_2"] == 1.0
    assert ("item_item_co_purchase", "hit_rate_at_2") in metrics(conn)


# --- empty and tiny data -------------------------------------------------------------------------


def _empty_metrics(conn) -> None:
    values = metrics(conn)
    assert len(values) == 16
    for model in ("item_item_co_purchase", "popularity"):
        assert values[model, "hit_rate_at_3"] is None and values[model, "catalogue_coverage"] is None
        assert values[model, "customers_evaluated"] == 0 and values[model, "customers_with_hit"] == 0


def test_no_order_lines_table_gives_empty_tables():
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA analytics")
    build_all(conn, AS_OF, RecommendationSettings())
    assert conn.execute("SELECT count(*) FROM analytics.recommendations").fetchall() == [(0,)]
    assert [c[0] for c in conn.execute("DESCRIBE analytics.recommendations").fetchall()] == [
        "customer_id", "rank", "sku", "product_name", "category", "score", "because_of",
        "because_of_product_name", "source", "as_of"]
    _empty_metrics(conn)


@pytest.mark.parametrize("lines", [
    [],
    bought("K1", "AB", OLD, status="refunded"),
    bought("K1", "A", 10),  # one customer, one recent sku: nothing it may be offered
])
def test_empty_or_tiny_data_gives_empty_tables(lines):
    conn = warehouse(lines)
    build_all(conn, AS_OF, RecommendationSettings())
    assert conn.execute("SELECT count(*) FROM analytics.recommendations").fetchall() == [(0,)]
    _empty_metrics(conn)


# --- reference implementation and determinism ---------------------------------------------------


def reference(lines: list[tuple], as_of: date, s: RecommendationSettings) -> list[tuple]:
    """The definition, customer by customer in plain Python: (customer, rank, sku, score, because, source)."""
    start = as_of - timedelta(days=s.history_days)
    last: dict[str, dict[str, date]] = {}
    for customer, sku, day, status in lines:
        if status == "completed" and customer and sku and start < day <= as_of:
            items = last.setdefault(customer, {})
            items[sku] = max(items.get(sku, day), day)
    n = Counter(sku for items in last.values() for sku in items)
    co = Counter((i, j) for items in last.values() for i in items for j in items if i != j)
    units = {(i, j): math.floor(k / math.sqrt(float(n[i]) * n[j]) * reco_sql.SIM_UNITS + 0.5)
             for (i, j), k in co.items() if k >= s.min_co_customers}
    neighbours = {i: sorted(((j, u) for (a, j), u in units.items() if a == i), key=lambda t: (-t[1], t[0]))
                  [:s.neighbours_per_item] for i in n}
    in_pop = {c: {sku for sku, d in items.items() if d > as_of - timedelta(days=s.popularity_days)}
              for c, items in last.items()}
    pop = Counter(sku for skus in in_pop.values() for sku in skus)
    pop_buyers = sum(1 for skus in in_pop.values() if skus)
    ranking = sorted(pop, key=lambda k: (-pop[k], k))
    rows = []
    for customer in sorted(last):
        items = last[customer]
        recent = {sku for sku, d in items.items() if d > as_of - timedelta(days=s.exclude_recent_days)}
        score: Counter = Counter()
        because: dict[str, tuple[int, str]] = {}
        for i in items:
            for j, u in neighbours[i]:
                score[j] += u
                if j not in because or u > because[j][0] or (u == because[j][0] and i < because[j][1]):
                    because[j] = (u, i)  # the strongest contributor, the smaller sku on ties
        chosen = sorted((j for j in score if j not in recent), key=lambda j: (-score[j], j))[:s.top_n]
        out = [(customer, r, j, round(score[j] / reco_sql.SIM_UNITS, 6), because[j][1], "co_purchase")
               for r, j in enumerate(chosen, start=1)]
        for sku in ranking:
            if len(out) < s.top_n and sku not in recent and sku not in chosen:
                out.append((customer, len(out) + 1, sku, round(pop[sku] / pop_buyers, 6), None, "popular"))
        rows += out
    return rows


def random_lines(seed: int, customers: int = 80, skus: str = "ABCDEFGHIJKL") -> list[tuple]:
    rng = random.Random(seed)
    lines = []
    for c in range(customers):
        taste = rng.choice([skus[:5], skus[4:9], skus[7:]])
        for _ in range(rng.randint(1, 8)):
            sku = rng.choice(taste) if rng.random() < 0.7 else skus[min(int(rng.expovariate(0.4)), len(skus) - 1)]
            status = rng.choice(["completed"] * 8 + ["refunded", "cancelled"])
            lines.append((f"K{c:03d}" if rng.random() > 0.02 else None, sku,
                          AS_OF - timedelta(days=rng.randint(-5, 800)), status))
    # loners: the only buyers of their sku, so no pair reaches min_co_customers = 2 (popularity fill)
    lines += [(f"L{c}", f"Z{c}", AS_OF - timedelta(days=rng.randint(0, 300)), "completed") for c in range(4)]
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_brute_force_reference_in_any_chunking(seed, monkeypatch):
    lines = random_lines(seed)
    settings = RecommendationSettings(neighbours_per_item=3)
    expected = reference(lines, AS_OF, settings)
    assert any(r[5] == "popular" for r in expected) and any(r[5] == "co_purchase" for r in expected)
    conn = warehouse(lines)
    for chunk in (reco_sql.CHUNK_CUSTOMERS, 7):
        monkeypatch.setattr(reco_sql, "CHUNK_CUSTOMERS", chunk)
        build_recommendations(conn, AS_OF, settings)
        got = conn.execute("SELECT customer_id, rank, sku, score, because_of, source "
                           "FROM analytics.recommendations").fetchall()
        assert [r[:3] + r[4:] for r in got] == [r[:3] + r[4:] for r in expected]
        assert [r[3] for r in got] == pytest.approx([r[3] for r in expected], abs=1.5e-6)


def test_built_twice_gives_identical_rows():
    conn = warehouse(random_lines(4, customers=150))
    build_all(conn, AS_OF, RecommendationSettings(min_co_customers=1))
    first = conn.execute("SELECT * FROM analytics.recommendations").fetchall()
    first_metrics = conn.execute("SELECT * FROM analytics.recommendation_metrics").fetchall()
    build_all(conn, AS_OF, RecommendationSettings(min_co_customers=1))
    assert conn.execute("SELECT * FROM analytics.recommendations").fetchall() == first
    assert conn.execute("SELECT * FROM analytics.recommendation_metrics").fetchall() == first_metrics
    assert first == sorted(first, key=lambda r: (r[0], r[1]))  # stored in customer, rank order


# --- checks --------------------------------------------------------------------------------------


def test_checks_pass_on_built_recommendations_and_catch_broken_rows():
    conn = warehouse(random_lines(5))
    settings = RecommendationSettings()
    build_recommendations(conn, AS_OF, settings)
    assert all(o.success for o in ranked_list_outcomes(conn, settings))
    assert all(o.success for o in recent_purchase_outcomes(conn, AS_OF, settings))
    customer, sku = conn.execute("SELECT customer_id, sku FROM analytics.recommendations WHERE rank = 1 AND "
                                 "customer_id IN (SELECT customer_id FROM analytics.recommendations WHERE rank = 3) "
                                 "ORDER BY customer_id LIMIT 1").fetchall()[0]
    conn.execute("INSERT INTO analytics.recommendations SELECT customer_id, 9, sku, product_name, category, score, "
                 "because_of, because_of_product_name, 'other', as_of FROM analytics.recommendations "
                 "WHERE customer_id = ? AND rank = 1", [customer])
    conn.execute("INSERT INTO core.order_lines VALUES ('O-new', 1, ?, ?, ?, 'x', 'x', 1, 1, 'completed')",
                 [customer, AS_OF - timedelta(days=3), sku])
    failed = {o.expectation: o for o in ranked_list_outcomes(conn, settings) if not o.success}
    assert set(failed) == {"expect_at_most_top_n_per_customer", "expect_contiguous_ranks",
                           "expect_distinct_skus_per_customer", "expect_known_source"}
    assert all(o.unexpected_count == 1 for o in failed.values())
    assert failed["expect_contiguous_ranks"].samples[0].startswith(f"{customer}: 1={sku}")
    recent = recent_purchase_outcomes(conn, AS_OF, settings)[0]
    assert not recent.success and recent.unexpected_count == 2 and recent.samples[0] == f"{customer} → {sku}"


# --- Dagster assets ------------------------------------------------------------------------------


def test_recommendation_assets_materialise_on_the_four_source_inbox(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assets = [*ALL_ASSETS, *(a for a in RECOMMENDATION_ASSETS if a not in ALL_ASSETS)]
    selection = AssetSelection.assets(AssetKey(["analytics", "recommendations"]),
                                      AssetKey(["analytics", "recommendation_metrics"])).upstream()
    result = materialize([*assets, *RECOMMENDATION_CHECKS], resources=build_resources(paths), selection=selection)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {"recommendations_ranked_lists": True, "recommendations_exclude_recent_purchases": True}
    # as of 2025-03-01. No pair of skus was bought by 2 customers, so every row is the popularity fill
    # (last 90 days: C001 杭州瑞达 bought S1 and S2, C002 北京远景 S3 → each 1 of 2 buyers; ties by sku),
    # skipping the customer's own recent skus
    rows = query(paths, "SELECT c.customer_code, r.rank, r.sku, r.score, r.because_of, r.source, r.as_of "
                        "FROM analytics.recommendations r "
                        "JOIN (SELECT DISTINCT customer_id, customer_code FROM core.order_lines) c USING (customer_id) "
                        "ORDER BY c.customer_code, r.rank")
    assert rows == [
        ("C001", 1, "S3", 0.5, None, "popular", date(2025, 3, 1)),
        ("C002", 1, "S1", 0.5, None, "popular", date(2025, 3, 1)),
        ("C002", 2, "S2", 0.5, None, "popular", date(2025, 3, 1)),
    ]
    # cutoff 2024-12-01: no sales before it, so nobody can be evaluated
    assert query(paths, "SELECT model, value, cutoff FROM analytics.recommendation_metrics "
                        "WHERE metric = 'customers_evaluated'") == [
        ("item_item_co_purchase", 0.0, date(2024, 12, 1)), ("popularity", 0.0, date(2024, 12, 1))]


# --- benchmark (not run by default) --------------------------------------------------------------


@pytest.mark.skipif(not os.environ.get("RECOMMENDATIONS_BENCHMARK"),
                    reason="set RECOMMENDATIONS_BENCHMARK=1 to time 1M customers / 20M order lines")
def test_benchmark_one_million_customers():  # pragma: no cover - reports a number only
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA core; CREATE SCHEMA analytics")
    # 8M orders of 1-4 lines (20M lines) by 1M customers in 10 taste groups over 3 years; 200 skus,
    # half the lines from a skewed global popularity (u³), half from the customer's group's own 20 skus
    conn.execute("""
        CREATE TABLE core.order_lines AS
        WITH orders AS (
            SELECT o, hash(o, 1) % 1000000 AS cust,
                   DATE '2026-06-30' - CAST(hash(o, 2) % 1095 AS INTEGER) AS order_date,
                   1 + CAST(hash(o, 3) % 4 AS INTEGER) AS n_lines
            FROM range(8000000) t(o)
        ), lines AS (SELECT o, cust, order_date, unnest(range(n_lines)) AS line_no FROM orders)
        SELECT 'O' || o AS order_id, CAST(line_no + 1 AS INTEGER) AS line_no,
               'C' || lpad(CAST(cust AS VARCHAR), 7, '0') AS customer_id, order_date,
               'SKU' || lpad(CAST(CASE WHEN hash(o, line_no, 5) % 2 = 1
                   THEN CAST(floor(200 * pow((hash(o, line_no, 4) % 1000000) / 1e6, 3)) AS INTEGER)
                   ELSE ((cust % 10) * 20 + CAST(floor(20 * pow((hash(o, line_no, 4) % 1000000) / 1e6, 2))
                                                 AS INTEGER)) % 200 END AS VARCHAR), 3, '0') AS sku,
               'Product' AS product_name, 'Category' AS category,
               CASE WHEN hash(o, 6) % 20 = 0 THEN 'refunded' ELSE 'completed' END AS status
        FROM lines""")
    start = time.perf_counter()
    values = build_all(conn, date(2026, 6, 30), RecommendationSettings())
    seconds = time.perf_counter() - start
    print(f"\n1M customers, 20M order lines: {seconds:.1f}s; {values}")
    assert conn.execute("SELECT count(DISTINCT customer_id) FROM analytics.recommendations").fetchall()[0][0] > 900_000
