"""Placeholder: filled in by the analytics work of issue 4."""

KPI_CHECKS: list = []
