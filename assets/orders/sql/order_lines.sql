CREATE OR REPLACE TABLE core.order_lines AS
SELECT l.order_id, l.line_no, m.customer_id, l.customer_code, l.order_ts, l.order_date, l.sku,
       l.product_name, l.category, l.quantity, l.unit_price, l.discount, l.amount, l.channel,
       l.region, l.status, l._source_file, l._row_number
FROM staging.sales_order_lines l
JOIN core.identity_map m ON m.source = 'sales_order_lines' AND m.source_key = l.customer_code
ORDER BY l.order_id, l.line_no;
