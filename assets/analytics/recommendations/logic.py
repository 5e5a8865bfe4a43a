"""Product recommendations from item-item co-purchase, and their backtest against a popularity
baseline, as DuckDB SQL.

Definitions (as-of date A, settings in ``[recommendations]``):

- Purchases: completed order lines (status = 'completed') with a customer and a sku, dated in the
  history window A − ``history_days`` < order_date ≤ A. An item is a sku.
- n(i): distinct customers who bought sku i in the window; co(i, j): distinct customers who bought
  both i and j. Pairs with co < ``min_co_customers`` are ignored.
- Similarity (cosine): sim(i, j) = co(i, j) ÷ √(n(i) × n(j)). Each sku keeps its
  ``neighbours_per_item`` most similar skus (similarity descending, then sku).
- Score of candidate sku j for a customer = Σ sim(i, j) over the skus i the customer bought in the
  window that have j among their neighbours. Skus the customer bought in the last
  ``exclude_recent_days`` (A − exclude_recent_days < order_date ≤ A) are never recommended; a sku
  bought earlier in the window may be (re-purchase). The top ``top_n`` by score (then sku) are kept;
  because_of is the customer's purchased sku with the largest sim(i, j) (then the smaller sku).
- Popularity fill: a customer who bought in the window but has fewer than ``top_n`` co-purchase
  candidates gets the remaining ranks from the popularity ranking (distinct customers buying the sku
  in the last ``popularity_days``, then sku), skipping recent and already recommended skus; those
  rows say source = 'popular'. Customers without a purchase in the window get no rows.

Backtest (cutoff C = A − ``[churn] horizon_days``): recommendations built with data up to C (the
same function, as of C) are compared with what customers bought in (C, A]. A customer is evaluated
when it had recommendations at C and bought at least one sku in (C, A] that it had not bought in
(C − exclude_recent_days, C] (a re-purchase of a recent sku cannot be recommended by either model).
Hit = at least one of its top_n skus bought in (C, A]. The popularity baseline recommends each
evaluated customer the top_n skus by distinct customers in (C − popularity_days, C], skipping its
recent skus.

Determinism: similarities are summed as integers in units of 1e-9 (the addition order cannot change
a score, so ties are exact and broken by sku); every ranking has a full tie-breaker.

Scale: set-based SQL on integer keys. The only heavy step, summing the neighbours' similarities per
(customer, candidate), runs over chunks of CHUNK_CUSTOMERS customers, which keeps each aggregation's
hash table small (the same work, several times faster than one statement).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

import duckdb

from assets.common.settings import shipped
from assets.common.tables import table_exists

SIM_UNITS = 1_000_000_000  # similarities are summed as integers in units of 1e-9
CHUNK_CUSTOMERS = 32_768  # customers scored per statement
MODELS = ("item_item_co_purchase", "popularity")

RECOMMENDATIONS_COLUMNS = """customer_id VARCHAR, rank INTEGER, sku VARCHAR, product_name VARCHAR,
    category VARCHAR, score DOUBLE, because_of VARCHAR, because_of_product_name VARCHAR, source VARCHAR,
    as_of DATE"""
METRICS_COLUMNS = "model VARCHAR, metric VARCHAR, value DOUBLE, cutoff DATE, window_end DATE, as_of DATE"

_PURCHASE = "status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL"


@dataclass(frozen=True)
class RecommendationSettings:
    """The ``[recommendations]`` section of settings.toml, plus the backtest horizon
    ``[churn] horizon_days``."""

    top_n: int = int(shipped("recommendations", "top_n"))
    exclude_recent_days: int = int(shipped("recommendations", "exclude_recent_days"))
    history_days: int = int(shipped("recommendations", "history_days"))
    neighbours_per_item: int = int(shipped("recommendations", "neighbours_per_item"))
    min_co_customers: int = int(shipped("recommendations", "min_co_customers"))
    popularity_days: int = int(shipped("recommendations", "popularity_days"))
    horizon_days: int = int(shipped("churn", "horizon_days"))

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any]) -> RecommendationSettings:
        """Read ``settings.rules()``; every key has a default, so a missing section is fine."""
        section = thresholds.get("recommendations") or {}
        churn = thresholds.get("churn") or {}
        values = {f.name: int(section.get(f.name, f.default)) for f in fields(cls) if f.name != "horizon_days"}
        settings = cls(**values, horizon_days=int(churn.get("horizon_days", cls.horizon_days)))
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail with a clear message on settings that cannot work."""
        problems = []
        for name in ("top_n", "history_days", "neighbours_per_item", "min_co_customers", "popularity_days"):
            if getattr(self, name) < 1:
                problems.append(f"recommendations.{name} must be at least 1, got {getattr(self, name)}")
        if not 0 <= self.exclude_recent_days <= self.history_days:
            problems.append("recommendations.exclude_recent_days must be between 0 and history_days "
                            f"({self.history_days}), got {self.exclude_recent_days}")
        if self.popularity_days > self.history_days:
            problems.append(f"recommendations.popularity_days ({self.popularity_days}) must not exceed "
                            f"history_days ({self.history_days})")
        if self.horizon_days < 1:
            problems.append(f"churn.horizon_days must be at least 1, got {self.horizon_days}")
        if problems:
            raise ValueError("invalid [recommendations] settings: " + "; ".join(problems))

    @property
    def hit_rate_metric(self) -> str:
        """The hit-rate metric's name, after top_n: hit_rate_at_3."""
        return f"hit_rate_at_{self.top_n}"


def has_order_lines(conn: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(conn, "core.order_lines")


# --- recommendations ------------------------------------------------------------------------------


def _prepare_sql(s: RecommendationSettings, only_customers: str | None) -> list[str]:
    """Temp tables: purchases in the window, integer keys, neighbour lists and the popularity ranking.
    Customers are numbered so that the ones to recommend to come first (1..scored)."""
    as_of = "CAST($as_of AS DATE)"
    scored = f"customer_id IN (SELECT customer_id FROM {only_customers})" if only_customers else "TRUE"
    return [
        # one row per (customer, sku) bought in the history window, with the last purchase date
        f"""CREATE OR REPLACE TEMP TABLE _reco_bought AS
        SELECT customer_id, sku, max(order_date) AS last_date
        FROM core.order_lines
        WHERE {_PURCHASE} AND order_date <= {as_of} AND order_date > {as_of} - {s.history_days}
        GROUP BY customer_id, sku""",
        # skus numbered in sku order ("smaller item" = "smaller sku"), with the latest name and category
        f"""CREATE OR REPLACE TEMP TABLE _reco_items AS
        WITH n AS (SELECT sku, count(*) AS n_customers FROM _reco_bought GROUP BY sku),
        names AS (
            SELECT sku, arg_max(product_name, (order_date, order_id, line_no)) AS product_name,
                   arg_max(category, (order_date, order_id, line_no)) AS category
            FROM core.order_lines
            WHERE {_PURCHASE} AND order_date <= {as_of} AND order_date > {as_of} - {s.history_days}
            GROUP BY sku
        )
        SELECT CAST(row_number() OVER (ORDER BY n.sku) AS INTEGER) AS item, n.sku, n.n_customers,
               names.product_name, names.category
        FROM n LEFT JOIN names USING (sku)""",
        f"""CREATE OR REPLACE TEMP TABLE _reco_customers AS
        SELECT CAST(row_number() OVER (ORDER BY NOT scored, customer_id) AS INTEGER) AS cust, customer_id, scored
        FROM (SELECT customer_id, {scored} AS scored FROM (SELECT DISTINCT customer_id FROM _reco_bought))""",
        # sorted by customer: a range of customers is a few contiguous row groups
        f"""CREATE OR REPLACE TEMP TABLE _reco_ci AS
        SELECT c.cust, i.item, b.last_date > {as_of} - {s.exclude_recent_days} AS recent,
               b.last_date > {as_of} - {s.popularity_days} AS in_popularity_window
        FROM _reco_bought b JOIN _reco_customers c USING (customer_id) JOIN _reco_items i USING (sku)
        ORDER BY c.cust, i.item""",
        # pairs counted once (i < j), then both directions; each sku keeps its strongest neighbours
        f"""CREATE OR REPLACE TEMP TABLE _reco_neighbours AS
        WITH pairs AS (
            SELECT a.item AS i, b.item AS j, count(*) AS co
            FROM _reco_ci a JOIN _reco_ci b ON a.cust = b.cust AND a.item < b.item
            GROUP BY a.item, b.item
            HAVING count(*) >= {s.min_co_customers}
        ), both_ways AS (
            SELECT i, j, co FROM pairs UNION ALL SELECT j AS i, i AS j, co FROM pairs
        ), sim AS (
            SELECT w.i, w.j, w.co,
                   CAST(round(w.co / sqrt(CAST(ni.n_customers AS DOUBLE) * nj.n_customers) * {SIM_UNITS})
                        AS INTEGER) AS sim_units
            FROM both_ways w JOIN _reco_items ni ON ni.item = w.i JOIN _reco_items nj ON nj.item = w.j
        )
        SELECT i, j, co, sim_units FROM sim
        QUALIFY row_number() OVER (PARTITION BY i ORDER BY sim_units DESC, j) <= {s.neighbours_per_item}""",
        # skus by distinct customers in the popularity window (then sku); share = of those customers
        """CREATE OR REPLACE TEMP TABLE _reco_popular AS
        WITH counts AS (
            SELECT item, count(*) AS customers FROM _reco_ci WHERE in_popularity_window GROUP BY item
        ), buyers AS (SELECT count(DISTINCT cust) AS n FROM _reco_ci WHERE in_popularity_window)
        SELECT c.item, c.customers, c.customers / b.n AS share,
               row_number() OVER (ORDER BY c.customers DESC, c.item) AS pop_rank
        FROM counts c, buyers b""",
        """CREATE OR REPLACE TEMP TABLE _reco_top (cust INTEGER, item INTEGER, score_units BIGINT, rank INTEGER,
                                                   because_item INTEGER)""",
    ]


def _chunk_sql(s: RecommendationSettings, first: int, last: int, n_items: int) -> str:
    """Score, exclude and rank the candidates of the customers numbered first..last.

    Ranking and because_of use packed integer keys (M = items + 1, so M − 1 − item reverses the sku
    order): because_key = max over the customer's skus i of sim_units(i, j) × M + (M − 1 − i) picks
    the strongest contributor, the smaller sku on ties; the top n of (score_units × M + (M − 1 − j)) × M
    + (M − 1 − because) per customer are the candidates by score descending, then sku ascending (a
    customer's candidates differ in j, so the last digit never decides)."""
    m = n_items + 1
    return f"""INSERT INTO _reco_top
    WITH ci AS (
        SELECT cust, item, recent FROM _reco_ci WHERE cust BETWEEN {first} AND {last}
    ), scored AS (
        SELECT c.cust, nb.j AS item, sum(nb.sim_units) AS score_units,
               max(CAST(nb.sim_units AS BIGINT) * {m} + ({m} - 1 - c.item)) AS because_key
        FROM ci c JOIN _reco_neighbours nb ON nb.i = c.item
        GROUP BY c.cust, nb.j
    ), best AS (
        SELECT s.cust, max((CAST(s.score_units AS HUGEINT) * {m} + ({m} - 1 - s.item)) * {m}
                           + s.because_key % {m}, {s.top_n}) AS keys
        FROM scored s ANTI JOIN (SELECT cust, item FROM ci WHERE recent) r ON r.cust = s.cust AND r.item = s.item
        GROUP BY s.cust
    )
    SELECT cust, CAST({m} - 1 - (key // {m}) % {m} AS INTEGER) AS item, CAST(key // {m * m} AS BIGINT) AS score_units,
           CAST(rank AS INTEGER) AS rank, CAST({m} - 1 - key % {m} AS INTEGER) AS because_item
    FROM (SELECT cust, unnest(keys) AS key, unnest(range(1, len(keys) + 1)) AS rank FROM best)"""


def _fill_sql(s: RecommendationSettings) -> str:
    """Customers short of top_n candidates continue with the most popular skus they may be offered:
    among the first top_n + (co-purchase rows) + (recent skus) of the ranking at most that many are
    skipped, so enough remain whenever the ranking is long enough."""
    return f"""CREATE OR REPLACE TEMP TABLE _reco_fill AS
    WITH counts AS (
        SELECT c.cust, coalesce(t.n_co, 0) AS n_co, coalesce(r.n_recent, 0) AS n_recent
        FROM _reco_customers c
        LEFT JOIN (SELECT cust, count(*) AS n_co FROM _reco_top GROUP BY cust) t USING (cust)
        LEFT JOIN (SELECT cust, count(*) AS n_recent FROM _reco_ci WHERE recent GROUP BY cust) r USING (cust)
        WHERE c.scored AND coalesce(t.n_co, 0) < {s.top_n}
    ), candidates AS (
        SELECT k.cust, k.n_co, p.item, p.pop_rank, p.share
        FROM counts k JOIN _reco_popular p ON p.pop_rank <= {s.top_n} + k.n_co + k.n_recent
        ANTI JOIN (SELECT cust, item FROM _reco_ci WHERE recent) r ON r.cust = k.cust AND r.item = p.item
        ANTI JOIN _reco_top t ON t.cust = k.cust AND t.item = p.item
    )
    SELECT cust, item, share, n_co + row_number() OVER (PARTITION BY cust ORDER BY pop_rank) AS rank
    FROM candidates
    QUALIFY rank <= {s.top_n}"""


def _output_sql(target: str, temporary: bool) -> str:
    return f"""CREATE OR REPLACE {"TEMP TABLE" if temporary else "TABLE"} {target} AS
    WITH rows AS (
        SELECT cust, rank, item, score_units / {SIM_UNITS}.0 AS score, because_item, 'co_purchase' AS source
        FROM _reco_top
        UNION ALL
        SELECT cust, rank, item, share AS score, NULL AS because_item, 'popular' AS source FROM _reco_fill
    )
    SELECT cu.customer_id, CAST(r.rank AS INTEGER) AS rank, i.sku, i.product_name, i.category,
           round(r.score, 6) AS score, bi.sku AS because_of, bi.product_name AS because_of_product_name,
           r.source, CAST($as_of AS DATE) AS as_of
    FROM rows r
    JOIN _reco_customers cu ON cu.cust = r.cust
    JOIN _reco_items i ON i.item = r.item
    LEFT JOIN _reco_items bi ON bi.item = r.because_item
    ORDER BY cu.customer_id, r.rank"""


_TEMP_TABLES = ("_reco_bought", "_reco_items", "_reco_customers", "_reco_ci", "_reco_neighbours", "_reco_popular",
                "_reco_top", "_reco_fill")


def build_recommendations(conn: duckdb.DuckDBPyConnection, as_of: date, settings: RecommendationSettings,
                          target: str = "analytics.recommendations", temporary: bool = False,
                          only_customers: str | None = None) -> None:
    """Write the top-n recommendations as of ``as_of`` into ``target`` (columns RECOMMENDATIONS_COLUMNS,
    ordered by customer_id, rank): one row per recommended sku for every customer who bought in the
    history window, or only for those also listed in the table ``only_customers`` (column customer_id;
    co-purchase counts still use every customer)."""
    kind = "TEMP TABLE" if temporary else "TABLE"
    if not has_order_lines(conn):
        conn.execute(f"CREATE OR REPLACE {kind} {target} ({RECOMMENDATIONS_COLUMNS})")
        return
    params = {"as_of": as_of}
    try:
        for sql in _prepare_sql(settings, only_customers):
            conn.execute(sql, params if "$as_of" in sql else {})
        scored, n_items = conn.execute(
            "SELECT (SELECT count(*) FROM _reco_customers WHERE scored), (SELECT count(*) FROM _reco_items)"
        ).fetchall()[0]
        for first in range(1, int(scored) + 1, CHUNK_CUSTOMERS):
            last = min(first + CHUNK_CUSTOMERS - 1, int(scored))
            conn.execute(_chunk_sql(settings, first, last, int(n_items)))
        conn.execute(_fill_sql(settings))
        conn.execute(_output_sql(target, temporary), params)
    finally:
        for name in _TEMP_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {name}")


# --- backtest -------------------------------------------------------------------------------------


def _backtest_inputs_sql(s: RecommendationSettings) -> list[str]:
    cutoff = "CAST($cutoff AS DATE)"
    return [
        # distinct skus each customer bought after the cutoff, up to the as-of date
        f"""CREATE OR REPLACE TEMP TABLE _reco_eval_window AS
        SELECT DISTINCT customer_id, sku FROM core.order_lines
        WHERE {_PURCHASE} AND order_date > {cutoff} AND order_date <= CAST($as_of AS DATE)""",
        # each customer's recent skus at the cutoff: neither model may recommend them
        f"""CREATE OR REPLACE TEMP TABLE _reco_eval_recent AS
        SELECT DISTINCT customer_id, sku FROM core.order_lines
        WHERE {_PURCHASE} AND order_date <= {cutoff} AND order_date > {cutoff} - {s.exclude_recent_days}""",
        # customers who bought something new after the cutoff (evaluated if they also get recommendations)
        """CREATE OR REPLACE TEMP TABLE _reco_eval_buyers AS
        SELECT DISTINCT w.customer_id FROM _reco_eval_window w
        ANTI JOIN _reco_eval_recent r ON r.customer_id = w.customer_id AND r.sku = w.sku""",
    ]


def _backtest_lists_sql(s: RecommendationSettings) -> list[str]:
    cutoff = "CAST($cutoff AS DATE)"
    return [
        """CREATE OR REPLACE TEMP TABLE _reco_eval_customers AS
        SELECT DISTINCT customer_id FROM _reco_backtest""",
        # what the evaluated customers had bought in the history window before the cutoff (re-orders)
        f"""CREATE OR REPLACE TEMP TABLE _reco_eval_history AS
        SELECT DISTINCT l.customer_id, l.sku FROM core.order_lines l
        SEMI JOIN _reco_eval_customers e ON e.customer_id = l.customer_id
        WHERE {_PURCHASE} AND l.order_date <= {cutoff} AND l.order_date > {cutoff} - {s.history_days}""",
        # popularity baseline: the most popular skus at the cutoff, skipping the customer's recent skus
        f"""CREATE OR REPLACE TEMP TABLE _reco_popularity AS
        WITH pop AS (
            SELECT sku, row_number() OVER (ORDER BY count(DISTINCT customer_id) DESC, sku) AS pop_rank
            FROM core.order_lines
            WHERE {_PURCHASE} AND order_date <= {cutoff} AND order_date > {cutoff} - {s.popularity_days}
            GROUP BY sku
        ), customers AS (
            SELECT e.customer_id, count(r.sku) AS n_recent
            FROM _reco_eval_customers e LEFT JOIN _reco_eval_recent r USING (customer_id)
            GROUP BY e.customer_id
        ), candidates AS (
            SELECT c.customer_id, p.sku, p.pop_rank
            FROM customers c JOIN pop p ON p.pop_rank <= {s.top_n} + c.n_recent
            ANTI JOIN _reco_eval_recent r ON r.customer_id = c.customer_id AND r.sku = p.sku
        )
        SELECT customer_id, sku, row_number() OVER (PARTITION BY customer_id ORDER BY pop_rank) AS rank
        FROM candidates
        QUALIFY rank <= {s.top_n}""",
    ]


_MODEL_STATS_SQL = """
WITH lists AS (
    SELECT 'item_item_co_purchase' AS model, customer_id, sku, source = 'popular' AS is_popular FROM _reco_backtest
    UNION ALL
    SELECT 'popularity' AS model, customer_id, sku, TRUE AS is_popular FROM _reco_popularity
), hits AS (
    SELECT l.model, count(DISTINCT l.customer_id) AS customers_with_hit
    FROM lists l SEMI JOIN _reco_eval_window w ON w.customer_id = l.customer_id AND w.sku = l.sku
    GROUP BY l.model
), reorders AS (
    SELECT l.model, count(*) AS reorder_rows
    FROM lists l SEMI JOIN _reco_eval_history b ON b.customer_id = l.customer_id AND b.sku = l.sku
    GROUP BY l.model
), stats AS (
    SELECT model, count(DISTINCT sku) AS skus_recommended, count(*) AS list_rows,
           count(*) FILTER (WHERE is_popular) AS popular_rows
    FROM lists GROUP BY model
)
SELECT m.model, coalesce(h.customers_with_hit, 0), coalesce(s.skus_recommended, 0), coalesce(s.list_rows, 0),
       coalesce(s.popular_rows, 0), coalesce(r.reorder_rows, 0)
FROM (SELECT unnest(['item_item_co_purchase', 'popularity']) AS model) m
LEFT JOIN hits h USING (model) LEFT JOIN stats s USING (model) LEFT JOIN reorders r USING (model)
"""

_BACKTEST_TEMP_TABLES = ("_reco_backtest", "_reco_eval_window", "_reco_eval_recent", "_reco_eval_buyers",
                         "_reco_eval_customers", "_reco_eval_history", "_reco_popularity", "_reco_metrics")


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """DuckDB refuses parameters a statement does not use."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def backtest(conn: duckdb.DuckDBPyConnection, as_of: date,
             settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """Evaluate both models at cutoff = as_of − horizon_days on the purchases in (cutoff, as_of].
    Returns {model: {metric: value}} (see build_recommendation_metrics)."""
    cutoff = as_of - timedelta(days=settings.horizon_days)
    evaluated = catalogue = 0
    stats = {m: (0, 0, 0, 0, 0) for m in MODELS}
    if has_order_lines(conn):
        params = {"cutoff": cutoff, "as_of": as_of}
        for sql in _backtest_inputs_sql(settings):
            conn.execute(sql, _used(sql, params))
        # only the customers who can be evaluated need recommendations at the cutoff
        build_recommendations(conn, cutoff, settings, target="_reco_backtest", temporary=True,
                              only_customers="_reco_eval_buyers")
        for sql in _backtest_lists_sql(settings):
            conn.execute(sql, _used(sql, params))
        evaluated = int(conn.execute("SELECT count(*) FROM _reco_eval_customers").fetchall()[0][0])
        catalogue = int(conn.execute(
            f"SELECT count(DISTINCT sku) FROM core.order_lines WHERE {_PURCHASE} "
            f"AND order_date <= CAST($cutoff AS DATE) AND order_date > CAST($cutoff AS DATE) - {settings.history_days}",
            {"cutoff": cutoff},
        ).fetchall()[0][0])
        stats = {row[0]: tuple(int(v) for v in row[1:]) for row in conn.execute(_MODEL_STATS_SQL).fetchall()}
    values: dict[str, dict[str, float | None]] = {}
    for model in MODELS:
        hits, skus, list_rows, popular_rows, reorder_rows = stats[model]
        values[model] = {
            settings.hit_rate_metric: _ratio(hits, evaluated),
            "customers_evaluated": float(evaluated),
            "customers_with_hit": float(hits),
            "catalogue_coverage": _ratio(skus, catalogue),
            "skus_recommended": float(skus),
            "catalogue_skus": float(catalogue),
            "popular_row_share": _ratio(popular_rows, list_rows),
            "reorder_row_share": _ratio(reorder_rows, list_rows),
        }
    return values


def build_recommendation_metrics(conn: duckdb.DuckDBPyConnection, as_of: date,
                                 settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """Run the backtest and write analytics.recommendation_metrics: one row per model and metric,
    models and metrics in a fixed order. Returns {model: {metric: value}}."""
    cutoff = as_of - timedelta(days=settings.horizon_days)
    try:
        values = backtest(conn, as_of, settings)
        rows = [(model, metric, value, cutoff, as_of, as_of, position)
                for position, (model, metric, value) in enumerate(
                    (m, k, v) for m in MODELS for k, v in values[m].items())]
        conn.execute(f"CREATE OR REPLACE TEMP TABLE _reco_metrics ({METRICS_COLUMNS}, position INTEGER)")
        conn.executemany("INSERT INTO _reco_metrics VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("CREATE OR REPLACE TABLE analytics.recommendation_metrics AS "
                     "SELECT model, metric, value, cutoff, window_end, as_of FROM _reco_metrics ORDER BY position")
    finally:
        for name in _BACKTEST_TEMP_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
    return values


def build_all(conn: duckdb.DuckDBPyConnection, as_of: date,
              settings: RecommendationSettings) -> dict[str, dict[str, float | None]]:
    """analytics.recommendations as of ``as_of`` and analytics.recommendation_metrics (the backtest)."""
    build_recommendations(conn, as_of, settings)
    return build_recommendation_metrics(conn, as_of, settings)
