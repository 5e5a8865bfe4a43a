-- The recommendations, co-purchase and popular rows, into the table {{ target }}, by customer and rank.
CREATE OR REPLACE {% if temporary %}TEMP {% endif %}TABLE {{ target }} AS
WITH rows AS (
    SELECT cust, rank, item, score_units / CAST($sim_units AS DOUBLE) AS score, because_item,
           'co_purchase' AS source
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
ORDER BY cu.customer_id, r.rank;
