"""Placeholder: filled in by the analytics work of issue 4."""

CLUSTER_ASSETS: list = []
