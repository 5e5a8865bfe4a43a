-- Tickets and complaint tickets opened in the $months months up to $as_of.
SELECT count(*) AS tickets, count(*) FILTER (WHERE is_complaint) AS complaints
FROM core.tickets
WHERE opened_date <= $as_of AND opened_date > $as_of::DATE - CAST($months AS INTEGER) * INTERVAL 1 MONTH
