-- The plausibility bound of this build, one row per kind and column (run inside the caller's transaction).
DELETE FROM quality.amount_bounds WHERE kind = $kind AND column_name = $column;

INSERT INTO quality.amount_bounds
VALUES ($kind, $column, $bound, $decided_by, $reference, $quantile, $multiple, $floor, $positive_amounts, $rule);
