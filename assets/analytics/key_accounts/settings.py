"""The ``[key_accounts]`` settings: pillar weights, grade shares, follow-up days and the points tables
of the potential pillar, validated."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assets.common.settings import shipped_defaults
from assets.common.vocabulary import GRADES


@dataclass(frozen=True)
@shipped_defaults("key_accounts")
class KeyAccountSettings:
    """The ``[key_accounts]`` section of settings.toml, validated."""

    weight_purchasing_power: float
    weight_loyalty: float
    weight_potential: float
    vip_share: float
    a_share: float
    b_share: float
    follow_up_days: dict[str, int]
    industry_points: dict[str, float]
    industry_points_default: float
    company_size_points: dict[str, float]
    company_size_points_default: float

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any] | None) -> "KeyAccountSettings":
        section = dict((thresholds or {}).get("key_accounts") or {})
        known = {f for f in cls.__dataclass_fields__}
        made = cls(**{k: v for k, v in section.items() if k in known})
        made.validate()
        return made

    def validate(self) -> None:
        weights = (self.weight_purchasing_power, self.weight_loyalty, self.weight_potential)
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"[key_accounts] weights must be >= 0 with a positive sum, got {weights}")
        shares = (self.vip_share, self.a_share, self.b_share)
        if any(s < 0 for s in shares) or sum(shares) > 1 + 1e-9:
            raise ValueError(f"[key_accounts] vip_share, a_share, b_share must be >= 0 and sum to <= 1, got {shares}")
        if set(self.follow_up_days) != set(GRADES) or any(int(d) < 1 for d in self.follow_up_days.values()):
            raise ValueError(
                f"[key_accounts] follow_up_days needs a positive number of days for each of {GRADES}, "
                f"got {self.follow_up_days}"
            )
        points = [*self.industry_points.values(), *self.company_size_points.values(),
                  self.industry_points_default, self.company_size_points_default]
        if any(not 0 <= float(p) <= 100 for p in points):
            raise ValueError("[key_accounts] industry and company-size points must be between 0 and 100")

    def cumulative_shares(self) -> tuple[Decimal, Decimal, Decimal]:
        """Share of buying customers graded VIP, VIP or A, VIP or A or B (exact, 6 decimals)."""
        vip, a, b = (Decimal(str(round(float(s), 6))) for s in (self.vip_share, self.a_share, self.b_share))
        return (vip, vip + a, vip + a + b)

    def sql_parameters(self) -> dict[str, Any]:
        """The settings as the parameters of ``sql/key_accounts.sql``: weights, cumulative grade shares
        and points as exact decimals (text), follow-up days by grade, and each points table that has
        entries as parallel lists (keys matched ignoring case and surrounding spaces; the first listed
        wins)."""
        cum_vip, cum_a, cum_b = self.cumulative_shares()
        parameters: dict[str, Any] = {
            "weight_purchasing_power": self.weight_purchasing_power,
            "weight_loyalty": self.weight_loyalty,
            "weight_potential": self.weight_potential,
            "weight_sum": self.weight_purchasing_power + self.weight_loyalty + self.weight_potential,
            "cumulative_vip": str(cum_vip), "cumulative_a": str(cum_a), "cumulative_b": str(cum_b),
            "grades": list(GRADES),
            "follow_up_days": [int(self.follow_up_days[g]) for g in GRADES],
            "industry_default": _exact(self.industry_points_default),
            "size_default": _exact(self.company_size_points_default),
        }
        for prefix, points in (("industry", self.industry_points), ("size", self.company_size_points)):
            if points:
                parameters[f"{prefix}_keys"] = [str(k).strip().lower() for k in points]
                parameters[f"{prefix}_values"] = [_exact(v) for v in points.values()]
        return parameters


def _exact(points: float) -> str:
    """A number of points as the decimal text of its shortest float form (72.5 → '72.5')."""
    return format(Decimal(repr(float(points))), "f")
