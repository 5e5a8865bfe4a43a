-- analytics.action_list_history, created empty when it does not exist yet (it is kept, never rebuilt).
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.action_list_history (
    list_date DATE, customer_id VARCHAR, assigned_action VARCHAR, is_control BOOLEAN,
    churn_probability DOUBLE, value_at_risk DOUBLE);
