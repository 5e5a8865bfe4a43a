"""Developer tools, never loaded by Dagster and not shipped: the sample-data generator, the
benchmark, the report screenshot and the identity-resolution evaluator."""
