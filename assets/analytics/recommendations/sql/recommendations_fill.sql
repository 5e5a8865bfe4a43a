-- Customers short of top_n candidates continue with the most popular skus they may be offered:
-- among the first top_n + (co-purchase rows) + (recent skus) of the ranking at most that many are
-- skipped, so enough remain whenever the ranking is long enough.
CREATE OR REPLACE TEMP TABLE _reco_fill AS
WITH counts AS (
    SELECT c.cust, coalesce(t.n_co, 0) AS n_co, coalesce(r.n_recent, 0) AS n_recent
    FROM _reco_customers c
    LEFT JOIN (SELECT cust, count(*) AS n_co FROM _reco_top GROUP BY cust) t USING (cust)
    LEFT JOIN (SELECT cust, count(*) AS n_recent FROM _reco_ci WHERE recent GROUP BY cust) r USING (cust)
    WHERE c.scored AND coalesce(t.n_co, 0) < $top_n
), candidates AS (
    SELECT k.cust, k.n_co, p.item, p.pop_rank, p.share
    FROM counts k JOIN _reco_popular p ON p.pop_rank <= $top_n + k.n_co + k.n_recent
    ANTI JOIN (SELECT cust, item FROM _reco_ci WHERE recent) r ON r.cust = k.cust AND r.item = p.item
    ANTI JOIN _reco_top t ON t.cust = k.cust AND t.item = p.item
)
SELECT cust, item, share, n_co + row_number() OVER (PARTITION BY cust ORDER BY pop_rank) AS rank
FROM candidates
QUALIFY rank <= $top_n;
