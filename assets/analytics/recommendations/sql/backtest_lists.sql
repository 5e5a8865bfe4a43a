-- The evaluated customers, their history before the cutoff and the popularity baseline's lists,
-- given the recommendations at the cutoff in _reco_backtest.

CREATE OR REPLACE TEMP TABLE _reco_eval_customers AS
SELECT DISTINCT customer_id FROM _reco_backtest;

-- what the evaluated customers had bought in the history window before the cutoff (re-orders)
CREATE OR REPLACE TEMP TABLE _reco_eval_history AS
SELECT DISTINCT l.customer_id, l.sku FROM core.order_lines l
SEMI JOIN _reco_eval_customers e ON e.customer_id = l.customer_id
WHERE l.status = 'completed' AND l.customer_id IS NOT NULL AND l.sku IS NOT NULL
  AND l.order_date <= CAST($cutoff AS DATE) AND l.order_date > CAST($cutoff AS DATE) - $history_days;

-- popularity baseline: the most popular skus at the cutoff, skipping the customer's recent skus
CREATE OR REPLACE TEMP TABLE _reco_popularity AS
WITH pop AS (
    SELECT sku, row_number() OVER (ORDER BY count(DISTINCT customer_id) DESC, sku) AS pop_rank
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
      AND order_date <= CAST($cutoff AS DATE) AND order_date > CAST($cutoff AS DATE) - $popularity_days
    GROUP BY sku
), customers AS (
    SELECT e.customer_id, count(r.sku) AS n_recent
    FROM _reco_eval_customers e LEFT JOIN _reco_eval_recent r USING (customer_id)
    GROUP BY e.customer_id
), candidates AS (
    SELECT c.customer_id, p.sku, p.pop_rank
    FROM customers c JOIN pop p ON p.pop_rank <= $top_n + c.n_recent
    ANTI JOIN _reco_eval_recent r ON r.customer_id = c.customer_id AND r.sku = p.sku
)
SELECT customer_id, sku, row_number() OVER (PARTITION BY customer_id ORDER BY pop_rank) AS rank
FROM candidates
QUALIFY rank <= $top_n;

-- customers evaluated, and the catalogue: skus sold in the history window before the cutoff
SELECT (SELECT count(*) FROM _reco_eval_customers),
       (SELECT count(DISTINCT sku) FROM core.order_lines
        WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
          AND order_date <= CAST($cutoff AS DATE) AND order_date > CAST($cutoff AS DATE) - $history_days);
