-- Per model: customers with a hit, skus recommended, list rows, popular rows and re-order rows.
WITH lists AS (
    SELECT CAST($co_purchase_model AS VARCHAR) AS model, customer_id, sku, source = 'popular' AS is_popular
    FROM _reco_backtest
    UNION ALL
    SELECT CAST($popularity_model AS VARCHAR) AS model, customer_id, sku, TRUE AS is_popular FROM _reco_popularity
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
FROM (SELECT unnest([CAST($co_purchase_model AS VARCHAR), CAST($popularity_model AS VARCHAR)]) AS model) m
LEFT JOIN hits h USING (model) LEFT JOIN stats s USING (model) LEFT JOIN reorders r USING (model);
