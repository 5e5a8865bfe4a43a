CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.amount_bounds (
    kind VARCHAR, column_name VARCHAR, bound DECIMAL(38, 2), decided_by VARCHAR, reference DECIMAL(38, 2),
    quantile DOUBLE, multiple DECIMAL(38, 6), floor DECIMAL(38, 2), positive_amounts BIGINT, rule VARCHAR);
