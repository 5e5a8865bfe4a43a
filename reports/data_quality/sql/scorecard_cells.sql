-- Every cell of quality.scorecard.
SELECT source, dimension, score, numerator, denominator, age_days FROM quality.scorecard
ORDER BY source, dimension
