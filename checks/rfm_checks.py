"""Placeholder: filled in by the analytics work of issue 4."""

RFM_CHECKS: list = []
