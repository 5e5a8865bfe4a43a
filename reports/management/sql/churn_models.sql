-- Backtest metrics of every candidate churn model.
SELECT model, metric, value, is_shipped, is_baseline, status, train_cutoff, test_cutoff, test_window_end
FROM analytics.churn_model_metrics WHERE evaluation = 'backtest' ORDER BY model, metric
