-- The segment of every score pair (r_score, fm_score), 1..bins each: the first [[rfm.segments]]
-- rule (in the settings' order) whose r and fm ranges contain the pair, both ends included. A pair
-- no rule covers has no row (the settings reject such rules). rfm.sql includes this query.
SELECT CAST(cells.r_score AS INTEGER) AS r_score, CAST(cells.fm_score AS INTEGER) AS fm_score,
       arg_min(rules.name, rules.position) AS segment,
       arg_min(rules.name_zh, rules.position) AS segment_zh
FROM (
    SELECT r_scores.r_score, fm_scores.fm_score
    FROM range(1, CAST($bins AS INTEGER) + 1) r_scores(r_score), range(1, CAST($bins AS INTEGER) + 1) fm_scores(fm_score)
) cells
JOIN (
    SELECT unnest($segment_names) AS name, unnest($segment_names_zh) AS name_zh,
           unnest($r_low) AS r_low, unnest($r_high) AS r_high,
           unnest($fm_low) AS fm_low, unnest($fm_high) AS fm_high,
           unnest(range(len($segment_names))) AS position
) rules
  ON cells.r_score BETWEEN rules.r_low AND rules.r_high AND cells.fm_score BETWEEN rules.fm_low AND rules.fm_high
GROUP BY cells.r_score, cells.fm_score
