-- The recommendations table without rows, when there are no order lines to recommend from.
CREATE OR REPLACE {% if temporary %}TEMP {% endif %}TABLE {{ target }} (
    customer_id VARCHAR, rank INTEGER, sku VARCHAR, product_name VARCHAR, category VARCHAR, score DOUBLE,
    because_of VARCHAR, because_of_product_name VARCHAR, source VARCHAR, as_of DATE);
