-- The $top categories with the most complaint tickets opened in the $months months up to $as_of.
SELECT coalesce(category, '') AS category, count(*) AS complaints FROM core.tickets
WHERE is_complaint
  AND opened_date <= $as_of AND opened_date > $as_of::DATE - CAST($months AS INTEGER) * INTERVAL 1 MONTH
GROUP BY 1 ORDER BY complaints DESC, category LIMIT $top
