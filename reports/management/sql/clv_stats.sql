-- Customers with a 12-month CLV, the largest, the sum and the median.
SELECT count(clv_12m) AS n, max(clv_12m) AS top, sum(clv_12m) AS total,
       quantile_cont(clv_12m, 0.5) AS median
FROM analytics.clv
