"""RFM (recency, frequency, monetary) scoring, with the segment, value tier and Pareto (ABC) class of
every buying customer. The statement is ``sql/rfm.sql``; here are the segment rules' first-match logic.

Everything is computed with window functions in one statement, so a million customers take seconds.

Scores are tie-safe "mid-rank" quantiles. For a value v among n customers::

    score = ceil(bins × (customers with a worse value + half of the customers with the same value) / n)

so customers with equal values always get the same score, ten different customers get the scores
1,1,2,2,3,3,4,4,5,5, and when every customer has the same value everybody gets the middle score
ceil(bins / 2) (3 with five bins). "Worse" means more days since the last order for recency (fewer
days = higher score), fewer orders for frequency and less revenue for monetary. The arithmetic is
done in integers (no rounding error at bin edges).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assets.common.vocabulary import VALUE_TIER_NAMES

if TYPE_CHECKING:
    from assets.analytics.rfm.settings import SegmentRule

VALUE_TIERS_ZH = VALUE_TIER_NAMES["zh"]


def segment_for(rules: Sequence[SegmentRule], r: int, fm: int) -> SegmentRule | None:
    """The first rule matching the score pair (the scheme's "first match wins")."""
    return next((rule for rule in rules if rule.matches(r, fm)), None)


def uncovered_cells(rules: Sequence[SegmentRule], bins: int) -> list[tuple[int, int]]:
    """Score pairs (r, fm) that no rule matches."""
    return [(r, fm) for r in range(1, bins + 1) for fm in range(1, bins + 1) if segment_for(rules, r, fm) is None]
