-- analytics.clv and analytics.clv_model_params with their columns and no rows (after a failed run).
CREATE SCHEMA IF NOT EXISTS analytics;

CREATE OR REPLACE TABLE analytics.clv (
    customer_id VARCHAR, frequency INTEGER, recency_days INTEGER, t_days INTEGER, monetary DOUBLE,
    p_alive DOUBLE, expected_purchases_12m DOUBLE, expected_avg_order_value DOUBLE, clv_12m DOUBLE, as_of DATE
);

CREATE OR REPLACE TABLE analytics.clv_model_params (
    model VARCHAR, parameter VARCHAR, value DOUBLE, time_unit VARCHAR, n_customers BIGINT,
    log_likelihood DOUBLE, status VARCHAR, as_of DATE
);
