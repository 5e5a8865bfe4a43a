-- Predicted vs actual purchase days per past repeat-purchase bucket.
SELECT frequency_bucket, bucket_order, customers, predicted_purchases, actual_purchases, cutoff, window_end
FROM analytics.purchase_forecast_accuracy ORDER BY bucket_order, frequency_bucket
