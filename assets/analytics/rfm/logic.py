"""RFM (recency, frequency, monetary) scoring as DuckDB SQL, with the segment, value tier and Pareto
(ABC) class of every buying customer.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped
from assets.common.vocabulary import VALUE_TIER_NAMES

VALUE_TIERS_ZH = VALUE_TIER_NAMES["zh"]


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
class RfmSettings:
    """The ``[rfm]`` section of settings.toml."""

    lookback_days: int = int(shipped("rfm", "lookback_days"))
    bins: int = int(shipped("rfm", "bins"))
    value_tier_high_share: float = float(shipped("rfm", "value_tier_high_share"))
    value_tier_low_share: float = float(shipped("rfm", "value_tier_low_share"))
    abc_a_share: float = float(shipped("rfm", "abc_a_share"))
    abc_b_share: float = float(shipped("rfm", "abc_b_share"))
    segments: tuple[SegmentRule, ...] = ()

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> RfmSettings:
        """Read and validate ``settings.rules()["rfm"]``."""
        rules = tuple(_rule(i, raw) for i, raw in enumerate(section.get("segments", []), start=1))
        settings = cls(
            lookback_days=int(section.get("lookback_days", cls.lookback_days)),
            bins=int(section.get("bins", cls.bins)),
            value_tier_high_share=float(section.get("value_tier_high_share", cls.value_tier_high_share)),
            value_tier_low_share=float(section.get("value_tier_low_share", cls.value_tier_low_share)),
            abc_a_share=float(section.get("abc_a_share", cls.abc_a_share)),
            abc_b_share=float(section.get("abc_b_share", cls.abc_b_share)),
            segments=rules,
        )
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


def segment_for(rules: Sequence[SegmentRule], r: int, fm: int) -> SegmentRule | None:
    """The first rule matching the score pair (the scheme's "first match wins")."""
    return next((rule for rule in rules if rule.matches(r, fm)), None)


def uncovered_cells(rules: Sequence[SegmentRule], bins: int) -> list[tuple[int, int]]:
    """Score pairs (r, fm) that no rule matches."""
    return [(r, fm) for r in range(1, bins + 1) for fm in range(1, bins + 1) if segment_for(rules, r, fm) is None]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def segment_case(rules: Sequence[SegmentRule], attribute: str = "name") -> str:
    """A SQL CASE giving the first matching rule's ``name`` (or ``name_zh``) for r_score, fm_score."""
    whens = "\n".join(
        f"        WHEN r_score BETWEEN {rule.r[0]} AND {rule.r[1]} AND fm_score BETWEEN {rule.fm[0]} AND {rule.fm[1]}"
        f" THEN {_literal(getattr(rule, attribute))}"
        for rule in rules
    )
    return f"CASE\n{whens}\n    END"


def _score(below: str, equal: str, bins: int) -> str:
    # ceil(bins * (2*below + equal) / (2n)) in integers
    return f"CAST((({bins} * (2 * {below} + {equal})) + 2 * n - 1) // (2 * n) AS INTEGER)"


def rfm_sql(settings: RfmSettings) -> str:
    """The statement rebuilding analytics.rfm; parameters ``$as_of`` (DATE)."""
    bins = settings.bins
    return f"""
CREATE OR REPLACE TABLE analytics.rfm AS
WITH base AS (
    SELECT customer_id,
           CAST(date_diff('day', max(order_date), CAST($as_of AS DATE)) AS INTEGER) AS recency_days,
           count(*) AS frequency,
           CAST(sum(amount) AS DECIMAL(18, 2)) AS monetary
    FROM core.orders
    WHERE is_revenue AND customer_id IS NOT NULL
      AND order_date <= CAST($as_of AS DATE)
      AND order_date > CAST($as_of AS DATE) - {int(settings.lookback_days)}
    GROUP BY customer_id
),
ranked AS (
    SELECT *,
           count(*) OVER () AS n,
           rank() OVER (ORDER BY recency_days DESC) - 1 AS r_below,
           count(*) OVER (PARTITION BY recency_days) AS r_equal,
           rank() OVER (ORDER BY frequency) - 1 AS f_below,
           count(*) OVER (PARTITION BY frequency) AS f_equal,
           rank() OVER (ORDER BY monetary) - 1 AS m_below,
           count(*) OVER (PARTITION BY monetary) AS m_equal,
           sum(monetary) OVER () AS total_revenue,
           sum(monetary) OVER (ORDER BY monetary DESC, customer_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_revenue
    FROM base
),
scored AS (
    SELECT *,
           {_score("r_below", "r_equal", bins)} AS r_score,
           {_score("f_below", "f_equal", bins)} AS f_score,
           {_score("m_below", "m_equal", bins)} AS m_score,
           n - m_below - m_equal AS m_above
    FROM ranked
),
final AS (
    SELECT *, CAST((f_score + m_score + 1) // 2 AS INTEGER) AS fm_score FROM scored
)
SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, fm_score,
       CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR) AS rfm_code,
       {segment_case(settings.segments, "name")} AS segment,
       {segment_case(settings.segments, "name_zh")} AS segment_zh,
       CASE WHEN 2 * m_above + m_equal < 2 * n * CAST({settings.value_tier_high_share!r} AS DECIMAL(10, 6))
                 THEN 'high'
            WHEN 2 * m_below + m_equal < 2 * n * CAST({settings.value_tier_low_share!r} AS DECIMAL(10, 6))
                 THEN 'low'
            ELSE 'normal' END AS value_tier,
       CASE WHEN 2 * m_above + m_equal < 2 * n * CAST({settings.value_tier_high_share!r} AS DECIMAL(10, 6))
                 THEN '{VALUE_TIERS_ZH["high"]}'
            WHEN 2 * m_below + m_equal < 2 * n * CAST({settings.value_tier_low_share!r} AS DECIMAL(10, 6))
                 THEN '{VALUE_TIERS_ZH["low"]}'
            ELSE '{VALUE_TIERS_ZH["normal"]}' END AS value_tier_zh,
       CASE WHEN total_revenue > 0 THEN CAST(monetary AS DOUBLE) / CAST(total_revenue AS DOUBLE) ELSE 0.0 END
         AS revenue_share,
       CASE WHEN total_revenue > 0 THEN CAST(running_revenue AS DOUBLE) / CAST(total_revenue AS DOUBLE) ELSE 0.0
         END AS cumulative_revenue_share,
       CASE WHEN total_revenue <= 0 THEN 'C'
            WHEN running_revenue - monetary < total_revenue * CAST({settings.abc_a_share!r} AS DECIMAL(10, 6))
                 THEN 'A'
            WHEN running_revenue - monetary < total_revenue * CAST({settings.abc_b_share!r} AS DECIMAL(10, 6))
                 THEN 'B'
            ELSE 'C' END AS abc_class,
       CAST($as_of AS DATE) AS as_of
FROM final
ORDER BY customer_id
"""
