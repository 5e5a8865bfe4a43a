-- Score, exclude and rank the candidates of the customers numbered $first..$last.
--
-- Ranking and because_of use packed integer keys (M = $m = items + 1, so M − 1 − item reverses the
-- sku order): because_key = max over the customer's skus i of sim_units(i, j) × M + (M − 1 − i) picks
-- the strongest contributor, the smaller sku on ties; the top n of (score_units × M + (M − 1 − j)) × M
-- + (M − 1 − because) per customer are the candidates by score descending, then sku ascending (a
-- customer's candidates differ in j, so the last digit never decides).
INSERT INTO _reco_top
WITH ci AS (
    SELECT cust, item, recent FROM _reco_ci WHERE cust BETWEEN $first AND $last
), scored AS (
    SELECT c.cust, nb.j AS item, sum(nb.sim_units) AS score_units,
           max(CAST(nb.sim_units AS BIGINT) * $m + ($m - 1 - c.item)) AS because_key
    FROM ci c JOIN _reco_neighbours nb ON nb.i = c.item
    GROUP BY c.cust, nb.j
), best AS (
    SELECT s.cust, max((CAST(s.score_units AS HUGEINT) * $m + ($m - 1 - s.item)) * $m
                       + s.because_key % $m, $top_n) AS keys
    FROM scored s ANTI JOIN (SELECT cust, item FROM ci WHERE recent) r ON r.cust = s.cust AND r.item = s.item
    GROUP BY s.cust
)
SELECT cust, CAST($m - 1 - (key // $m) % $m AS INTEGER) AS item,
       CAST(key // (CAST($m AS HUGEINT) * $m) AS BIGINT) AS score_units,
       CAST(rank AS INTEGER) AS rank, CAST($m - 1 - key % $m AS INTEGER) AS because_item
FROM (SELECT cust, unnest(keys) AS key, unnest(range(1, len(keys) + 1)) AS rank FROM best);
