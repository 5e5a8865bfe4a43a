-- Temp tables: purchases in the history window, integer keys, neighbour lists and the popularity
-- ranking. Customers are numbered so that the ones to recommend to come first (1..scored): all of
-- them, or only those listed in the table only_customers when it is given.

-- one row per (customer, sku) bought in the history window, with the last purchase date
CREATE OR REPLACE TEMP TABLE _reco_bought AS
SELECT customer_id, sku, max(order_date) AS last_date
FROM core.order_lines
WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
  AND order_date <= CAST($as_of AS DATE) AND order_date > CAST($as_of AS DATE) - $history_days
GROUP BY customer_id, sku;

-- skus numbered in sku order ("smaller item" = "smaller sku"), with the latest name and category
CREATE OR REPLACE TEMP TABLE _reco_items AS
WITH n AS (SELECT sku, count(*) AS n_customers FROM _reco_bought GROUP BY sku),
names AS (
    SELECT sku, arg_max(product_name, (order_date, order_id, line_no)) AS product_name,
           arg_max(category, (order_date, order_id, line_no)) AS category
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
      AND order_date <= CAST($as_of AS DATE) AND order_date > CAST($as_of AS DATE) - $history_days
    GROUP BY sku
)
SELECT CAST(row_number() OVER (ORDER BY n.sku) AS INTEGER) AS item, n.sku, n.n_customers,
       names.product_name, names.category
FROM n LEFT JOIN names USING (sku);

CREATE OR REPLACE TEMP TABLE _reco_customers AS
SELECT CAST(row_number() OVER (ORDER BY NOT scored, customer_id) AS INTEGER) AS cust, customer_id, scored
FROM (
    SELECT customer_id,
{% if only_customers %}
           customer_id IN (SELECT customer_id FROM {{ only_customers }}) AS scored
{% else %}
           TRUE AS scored
{% endif %}
    FROM (SELECT DISTINCT customer_id FROM _reco_bought)
);

-- sorted by customer: a range of customers is a few contiguous row groups
CREATE OR REPLACE TEMP TABLE _reco_ci AS
SELECT c.cust, i.item, b.last_date > CAST($as_of AS DATE) - $exclude_recent_days AS recent,
       b.last_date > CAST($as_of AS DATE) - $popularity_days AS in_popularity_window
FROM _reco_bought b JOIN _reco_customers c USING (customer_id) JOIN _reco_items i USING (sku)
ORDER BY c.cust, i.item;

-- pairs counted once (i < j), then both directions; each sku keeps its strongest neighbours
CREATE OR REPLACE TEMP TABLE _reco_neighbours AS
WITH pairs AS (
    SELECT a.item AS i, b.item AS j, count(*) AS co
    FROM _reco_ci a JOIN _reco_ci b ON a.cust = b.cust AND a.item < b.item
    GROUP BY a.item, b.item
    HAVING count(*) >= $min_co_customers
), both_ways AS (
    SELECT i, j, co FROM pairs UNION ALL SELECT j AS i, i AS j, co FROM pairs
), sim AS (
    SELECT w.i, w.j, w.co,
           CAST(round(w.co / sqrt(CAST(ni.n_customers AS DOUBLE) * nj.n_customers) * $sim_units)
                AS INTEGER) AS sim_units
    FROM both_ways w JOIN _reco_items ni ON ni.item = w.i JOIN _reco_items nj ON nj.item = w.j
)
SELECT i, j, co, sim_units FROM sim
QUALIFY row_number() OVER (PARTITION BY i ORDER BY sim_units DESC, j) <= $neighbours_per_item;

-- skus by distinct customers in the popularity window (then sku); share = of those customers
CREATE OR REPLACE TEMP TABLE _reco_popular AS
WITH counts AS (
    SELECT item, count(*) AS customers FROM _reco_ci WHERE in_popularity_window GROUP BY item
), buyers AS (SELECT count(DISTINCT cust) AS n FROM _reco_ci WHERE in_popularity_window)
SELECT c.item, c.customers, c.customers / b.n AS share,
       row_number() OVER (ORDER BY c.customers DESC, c.item) AS pop_rank
FROM counts c, buyers b;

CREATE OR REPLACE TEMP TABLE _reco_top (cust INTEGER, item INTEGER, score_units BIGINT, rank INTEGER,
                                        because_item INTEGER);

-- customers to score and items: the chunks of recommendations_chunk.sql
SELECT (SELECT count(*) FROM _reco_customers WHERE scored), (SELECT count(*) FROM _reco_items);
