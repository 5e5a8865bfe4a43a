"""The ``[rfm]`` settings and its ``[[rfm.segments]]`` rules, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.analytics.rfm.logic import uncovered_cells
from assets.common.settings import section_values, shipped_defaults


@dataclass(frozen=True)
class SegmentRule:
    """One ``[[rfm.segments]]`` rule: r and fm score ranges (both ends included) and the names."""

    name: str
    name_zh: str
    r: tuple[int, int]
    fm: tuple[int, int]

    def matches(self, r: int, fm: int) -> bool:
        return self.r[0] <= r <= self.r[1] and self.fm[0] <= fm <= self.fm[1]


@dataclass(frozen=True)
@shipped_defaults("rfm")
class RfmSettings:
    """The ``[rfm]`` section of settings.toml."""

    lookback_days: int
    bins: int
    value_tier_high_share: float
    value_tier_low_share: float
    abc_a_share: float
    abc_b_share: float
    segments: tuple[SegmentRule, ...] = ()

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> RfmSettings:
        """Read and validate ``settings.rules()["rfm"]``."""
        rules = tuple(_rule(i, raw) for i, raw in enumerate(section.get("segments", []), start=1))
        settings = cls(**section_values(cls, section), segments=rules)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail with a clear message when the settings cannot give every customer one segment."""
        problems = []
        if self.lookback_days < 1:
            problems.append(f"rfm.lookback_days must be at least 1, got {self.lookback_days}")
        if not 1 <= self.bins <= 9:
            problems.append(f"rfm.bins must be between 1 and 9, got {self.bins}")
        if not 0 <= self.value_tier_high_share <= 1 or not 0 <= self.value_tier_low_share <= 1 or (
            self.value_tier_high_share + self.value_tier_low_share > 1
        ):
            problems.append(
                "rfm.value_tier_high_share and value_tier_low_share must be between 0 and 1 and add up to at "
                f"most 1, got {self.value_tier_high_share} and {self.value_tier_low_share}"
            )
        if not 0 < self.abc_a_share <= self.abc_b_share <= 1:
            problems.append(
                f"rfm.abc_a_share and abc_b_share must satisfy 0 < a <= b <= 1, got {self.abc_a_share} and "
                f"{self.abc_b_share}"
            )
        if not self.segments:
            problems.append("rfm.segments is empty: at least one [[rfm.segments]] rule is needed")
        elif 1 <= self.bins <= 9:
            uncovered = uncovered_cells(self.segments, self.bins)
            if uncovered:
                cells = ", ".join(f"(r={r}, fm={fm})" for r, fm in uncovered)
                problems.append(f"rfm.segments match no rule for the score pairs {cells}; add a rule covering them")
        if problems:
            raise ValueError("invalid [rfm] settings: " + "; ".join(problems))

    def segment_names(self) -> list[str]:
        return [rule.name for rule in self.segments]

    def segment_rules(self) -> dict[str, list]:
        """The segment rules as parallel lists, bound as parameters of ``sql/segment_cells.sql``
        (in rule order: the first matching rule wins)."""
        return {
            "segment_names": self.segment_names(),
            "segment_names_zh": [rule.name_zh for rule in self.segments],
            "r_low": [rule.r[0] for rule in self.segments],
            "r_high": [rule.r[1] for rule in self.segments],
            "fm_low": [rule.fm[0] for rule in self.segments],
            "fm_high": [rule.fm[1] for rule in self.segments],
        }


def _rule(position: int, raw: Mapping[str, Any]) -> SegmentRule:
    try:
        r_low, r_high = (int(v) for v in raw["r"])
        fm_low, fm_high = (int(v) for v in raw["fm"])
        name = str(raw["name"]).strip()
        name_zh = str(raw.get("name_zh", name)).strip()
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"invalid [[rfm.segments]] rule #{position} {dict(raw)!r}: expected name, name_zh, r = [low, high] "
            f"and fm = [low, high]"
        ) from exc
    if not name or r_low > r_high or fm_low > fm_high:
        raise ValueError(f"invalid [[rfm.segments]] rule #{position} {dict(raw)!r}: empty name or low > high")
    return SegmentRule(name=name, name_zh=name_zh, r=(r_low, r_high), fm=(fm_low, fm_high))
