"""Placeholder: filled in by the analytics work of issue 4."""

LIFECYCLE_CHECKS: list = []
