"""Placeholder: filled in by the analytics work of issue 4."""

KEY_ACCOUNT_CHECKS: list = []
