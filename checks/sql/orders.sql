-- The referential-integrity checks of checks/orders.py: for each reference, the rows of the child
-- table and the child rows pointing nowhere (NULL counts as missing), described as 'key → value'.

-- name: orders
SELECT count(*) FROM core.orders;

-- name: orders_without_known_customer
SELECT c.order_id || ' → ' || coalesce(c.customer_id, '(empty)')
FROM core.orders c
WHERE c.customer_id IS NULL
   OR NOT EXISTS (SELECT 1 FROM core.customers p WHERE p.customer_id = c.customer_id);

-- name: order_lines
SELECT count(*) FROM core.order_lines;

-- name: order_lines_without_order
SELECT c.order_id || '#' || c.line_no || ' → ' || coalesce(c.order_id, '(empty)')
FROM core.order_lines c
WHERE c.order_id IS NULL
   OR NOT EXISTS (SELECT 1 FROM core.orders p WHERE p.order_id = c.order_id);
