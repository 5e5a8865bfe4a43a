-- The overall data-quality score of each source (and of all, source 'overall').
SELECT source, score FROM quality.scorecard WHERE dimension = 'overall' ORDER BY source
