-- The shipped churn model's backtest deciles.
SELECT model, decile, customers, mean_predicted, actual_churn_rate, cutoff, window_end
FROM analytics.churn_calibration ORDER BY decile
