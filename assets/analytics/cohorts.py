"""Placeholder: filled in by the analytics work of issue 4."""

COHORT_ASSETS: list = []
