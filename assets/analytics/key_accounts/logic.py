"""Grade cut-offs of the key-account table: the last score rank graded VIP, A and B."""

import math
from decimal import Decimal

from assets.analytics.key_accounts.settings import KeyAccountSettings


def grade_cut_offs(customers: int, ka: KeyAccountSettings) -> tuple[int, int, int]:
    """Last score rank graded VIP, A and B: customers x cumulative share, rounded half up."""
    return tuple(math.floor(customers * share + Decimal("0.5")) for share in ka.cumulative_shares())
