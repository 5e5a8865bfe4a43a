-- The purchases the backtest at the cutoff compares the recommendations with.

-- distinct skus each customer bought after the cutoff, up to the as-of date
CREATE OR REPLACE TEMP TABLE _reco_eval_window AS
SELECT DISTINCT customer_id, sku FROM core.order_lines
WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
  AND order_date > CAST($cutoff AS DATE) AND order_date <= CAST($as_of AS DATE);

-- each customer's recent skus at the cutoff: neither model may recommend them
CREATE OR REPLACE TEMP TABLE _reco_eval_recent AS
SELECT DISTINCT customer_id, sku FROM core.order_lines
WHERE status = 'completed' AND customer_id IS NOT NULL AND sku IS NOT NULL
  AND order_date <= CAST($cutoff AS DATE) AND order_date > CAST($cutoff AS DATE) - $exclude_recent_days;

-- customers who bought something new after the cutoff (evaluated if they also get recommendations)
CREATE OR REPLACE TEMP TABLE _reco_eval_buyers AS
SELECT DISTINCT w.customer_id FROM _reco_eval_window w
ANTI JOIN _reco_eval_recent r ON r.customer_id = w.customer_id AND r.sku = w.sku;
