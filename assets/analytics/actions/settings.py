"""The ``[actions]`` settings of the next best actions: the control group, the windows and
thresholds of the facts, and the ``[[actions.playbook]]`` rules, read and validated (the playbook
itself is described in ``assets/analytics/actions/logic.py``)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assets.common.settings import section_values, shipped, shipped_defaults
from assets.common.vocabulary import GRADES, LIFECYCLE_STAGES, RISK_TIERS, VALUE_TIER_NAMES

NO_ACTION = "no_action"
CONTROL_ACTION = "control_no_action"
ALL_ACTIONS = "all"
RESERVED_ACTIONS = (CONTROL_ACTION, ALL_ACTIONS)

VALUE_TIERS = tuple(VALUE_TIER_NAMES["zh"])
# Hex digits of the md5 read as the control-group number (52 bits: exact in a double and a BIGINT).
HASH_DIGITS = 13
HASH_RANGE = 16 ** HASH_DIGITS

TEXT_KEYS = ("action", "label_en", "label_zh", "reason_en", "reason_zh")
# condition key -> column of the facts the rule is matched on, and the values it may list (None = any text)
LIST_CONDITIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "grades": ("grade", GRADES),
    "segments": ("segment", None),
    "value_tiers": ("value_tier", VALUE_TIERS),
    "lifecycle": ("lifecycle_stage", LIFECYCLE_STAGES),
    "risk_tiers": ("risk_tier", RISK_TIERS),
}
FLAG_CONDITIONS: dict[str, str] = {"recent_complaint": "recent_complaint", "price_sensitive": "price_sensitive"}
CONDITION_KEYS = (*LIST_CONDITIONS, *FLAG_CONDITIONS)

# Placeholders a reason may use; sql/next_best_actions.sql fills each from the facts (the figures
# formatted as text: percentages, amounts with thousands separators; empty values become MISSING).
PLACEHOLDERS: tuple[str, ...] = (
    "churn_probability", "risk_tier", "risk_tier_zh", "top_reasons", "top_reasons_zh", "value_at_risk", "clv_12m",
    "grade", "segment", "segment_zh", "value_tier", "lifecycle_stage", "lifecycle_stage_zh",
    "days_since_last_order", "tenure_days", "recent_complaints", "complaint_days", "discount_share",
)

_ACTION_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# --- the playbook --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaybookRule:
    """One ``[[actions.playbook]]`` rule: the action and its texts, and the conditions (None = any)."""

    position: int
    action: str
    label_en: str
    label_zh: str
    reason_en: str
    reason_zh: str
    grades: tuple[str, ...] | None = None
    segments: tuple[str, ...] | None = None
    value_tiers: tuple[str, ...] | None = None
    lifecycle: tuple[str, ...] | None = None
    risk_tiers: tuple[str, ...] | None = None
    recent_complaint: bool | None = None
    price_sensitive: bool | None = None

    @property
    def name(self) -> str:
        """How error messages name the rule: its position and action."""
        return f"[[actions.playbook]] rule #{self.position} ({self.action})"

    @property
    def lists_customer(self) -> bool:
        return self.action != NO_ACTION

    def matches(self, facts: Mapping[str, Any]) -> bool:
        """The rule's conditions in Python (sql/playbook_match.sql does the same on a table)."""
        for key, (column, _allowed) in LIST_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None and facts.get(column) not in wanted:
                return False
        for key, column in FLAG_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None and bool(facts.get(column) or False) != wanted:
                return False
        return True


def reason_pieces(template: str, rule_name: str = "reason") -> list[tuple[str, str | None]]:
    """A reason template as (literal text, placeholder or None) pieces, in order: the text is the
    concatenation of each literal and its placeholder's value (filled in SQL from the facts).
    ``{{`` and ``}}`` give literal braces; an unknown placeholder is an error naming the rule."""
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{rule_name}: cannot read the text {template!r}: {exc} (write {{{{ for a brace)") from exc
    for _literal, field, spec, conversion in pieces:
        if field is not None and (field not in PLACEHOLDERS or spec or conversion):
            raise ValueError(
                f"{rule_name}: unknown placeholder {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} in {template!r}; known: {', '.join(sorted(PLACEHOLDERS))}"
            )
    return [(literal, field) for literal, field, _spec, _conversion in pieces]


def _names(value: Any, key: str, rule: str, allowed: Iterable[str] | None) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{rule}: {key} must be a non-empty list of names, got {value!r}")
    names = tuple(str(v).strip() for v in value)
    if allowed is not None:
        allowed = tuple(allowed)
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise ValueError(f"{rule}: unknown {key} {unknown}; expected some of {list(allowed)}")
    return names


def parse_rule(position: int, raw: Mapping[str, Any], segment_names: Sequence[str] | None = None) -> PlaybookRule:
    """Read and validate one playbook rule; errors name the rule by position and action."""
    action = str(raw.get("action", "")).strip() if isinstance(raw, Mapping) else ""
    name = f"[[actions.playbook]] rule #{position} ({action or 'no action code'})"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{name}: expected a table of keys, got {raw!r}")
    unknown = sorted(set(raw) - set(TEXT_KEYS) - set(CONDITION_KEYS))
    if unknown:
        raise ValueError(f"{name}: unknown key(s) {unknown}; conditions are {list(CONDITION_KEYS)}, "
                         f"texts {list(TEXT_KEYS)}")
    if not _ACTION_CODE.match(action):
        raise ValueError(f"{name}: action must be a code of lower-case letters, digits and _, got {action!r}")
    if action in RESERVED_ACTIONS:
        raise ValueError(f"{name}: the action code {action!r} is reserved")
    texts = {}
    for key in TEXT_KEYS[1:]:
        value = raw.get(key, "")
        if not isinstance(value, str) or (key.startswith("label") and action != NO_ACTION and not value.strip()):
            raise ValueError(f"{name}: {key} must be a text" + (" (not empty)" if key.startswith("label") else ""))
        texts[key] = value.strip()
    for key in ("reason_en", "reason_zh"):
        reason_pieces(texts[key], f"{name} {key}")  # placeholders are checked here, at load
    conditions: dict[str, Any] = {}
    for key, (_column, allowed) in LIST_CONDITIONS.items():
        if key in raw:
            if key == "segments":
                allowed = segment_names
            conditions[key] = _names(raw[key], key, name, allowed)
    for key in FLAG_CONDITIONS:
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ValueError(f"{name}: {key} must be true or false, got {raw[key]!r}")
            conditions[key] = raw[key]
    return PlaybookRule(position=position, action=action, **texts, **conditions)




DEFAULT_PLAYBOOK: tuple[dict[str, Any], ...] = (
    {
        "action": "vip_care_call", "label_en": "VIP care call", "label_zh": "VIP 关怀回访",
        "reason_en": "VIP account: churn risk {risk_tier} ({churn_probability}), {value_at_risk} CNY of predicted "
                     "12-month value at risk; last order {days_since_last_order} days ago.",
        "reason_zh": "VIP 客户：流失风险{risk_tier_zh}（{churn_probability}），"
                     "未来 12 个月预计价值中 {value_at_risk} 元面临流失；最近一次下单在 {days_since_last_order} 天前。",
        "grades": ["VIP"],
    },
    {
        "action": "service_recovery", "label_en": "Service recovery call", "label_zh": "投诉后服务补救",
        "reason_en": "{recent_complaints} complaint ticket(s) in the last {complaint_days} days; churn risk "
                     "{risk_tier} ({churn_probability}). Call to put it right before the customer leaves.",
        "reason_zh": "近 {complaint_days} 天有 {recent_complaints} 张投诉工单；流失风险{risk_tier_zh}"
                     "（{churn_probability}）。请致电解决问题，挽回客户信任。",
        "recent_complaint": True,
    },
    {
        "action": "win_back_offer", "label_en": "Win-back offer", "label_zh": "挽回优惠",
        "reason_en": "High-value customer, now {lifecycle_stage}, churn risk {risk_tier} ({churn_probability}): "
                     "{top_reasons}. {value_at_risk} CNY at risk.",
        "reason_zh": "高价值客户，当前阶段“{lifecycle_stage_zh}”，流失风险{risk_tier_zh}（{churn_probability}）："
                     "{top_reasons_zh}。{value_at_risk} 元面临流失。",
        "risk_tiers": ["high", "medium"], "value_tiers": ["high"], "lifecycle": ["at_risk", "churned"],
    },
    {
        "action": "win_back_offer", "label_en": "Win-back offer", "label_zh": "挽回优惠",
        "reason_en": "Grade {grade} account, now {lifecycle_stage}, churn risk {risk_tier} ({churn_probability}): "
                     "{top_reasons}. {value_at_risk} CNY at risk.",
        "reason_zh": "{grade} 级重点客户，当前阶段“{lifecycle_stage_zh}”，"
                     "流失风险{risk_tier_zh}（{churn_probability}）：{top_reasons_zh}。{value_at_risk} 元面临流失。",
        "risk_tiers": ["high", "medium"], "grades": ["VIP", "A"], "lifecycle": ["at_risk", "churned"],
    },
    {
        "action": "welcome_offer", "label_en": "Welcome offer", "label_zh": "新客欢迎礼",
        "reason_en": "New customer: first order {tenure_days} days ago. A welcome offer encourages the second "
                     "purchase.",
        "reason_zh": "新客户：首单在 {tenure_days} 天前。发送欢迎礼，促成第二次购买。",
        "lifecycle": ["new"],
    },
    {
        "action": "price_promotion", "label_en": "Price promotion", "label_zh": "价格促销",
        "reason_en": "Price-sensitive: {discount_share} of their spend was bought on discount; churn risk "
                     "{risk_tier} ({churn_probability}).",
        "reason_zh": "价格敏感：{discount_share} 的消费享受了折扣；流失风险{risk_tier_zh}（{churn_probability}）。",
        "price_sensitive": True, "risk_tiers": ["high", "medium"],
    },
    {
        "action": "nurture", "label_en": "Nurture towards a first order", "label_zh": "潜客培育",
        "reason_en": "Prospect without a completed order yet: keep in touch and work towards the first order.",
        "reason_zh": "尚未成交的潜在客户：保持联系，促成首单。",
        "lifecycle": ["potential"],
    },
    {
        "action": "no_action", "label_en": "No action", "label_zh": "无需行动",
        "reason_en": "", "reason_zh": "",
    },
)

_SECTION_KEYS = ("control_share", "control_salt", "complaint_days", "price_sensitive_share", "price_lookback_days",
                 "evaluation_days", "playbook")


@dataclass(frozen=True)
@shipped_defaults("actions")
class ActionSettings:
    """The ``[actions]`` section of settings.toml with its ``[[actions.playbook]]`` rules, validated."""

    control_share: float
    control_salt: str
    complaint_days: int
    price_sensitive_share: float
    price_lookback_days: int
    evaluation_days: int = int(shipped("churn", "horizon_days"))
    playbook: tuple[PlaybookRule, ...] = ()

    @classmethod
    def from_thresholds(cls, thresholds: Mapping[str, Any] | None) -> ActionSettings:
        """Read ``settings.rules()``: ``[actions]`` (every key optional; the shipped playbook when
        there is none), ``[churn] horizon_days`` as the default evaluation window, ``[[rfm.segments]]``
        names to check segment conditions against."""
        thresholds = thresholds or {}
        section = dict(thresholds.get("actions") or {})
        unknown = sorted(set(section) - set(_SECTION_KEYS))
        if unknown:
            raise ValueError(f"invalid [actions] settings: unknown key(s) {unknown}; known: {list(_SECTION_KEYS)}")
        segment_names = [str(s.get("name", "")).strip() for s in (thresholds.get("rfm") or {}).get("segments", [])]
        raw_rules = section.get("playbook", DEFAULT_PLAYBOOK)
        if not isinstance(raw_rules, list | tuple):
            raise ValueError("invalid [actions] settings: playbook must be a list of [[actions.playbook]] rules")
        rules = tuple(parse_rule(i, raw, segment_names or None) for i, raw in enumerate(raw_rules, start=1))
        horizon = (thresholds.get("churn") or {}).get("horizon_days", cls.evaluation_days)
        made = cls(**section_values(cls, section, defaults={"evaluation_days": horizon}), playbook=rules)
        made.validate()
        return made

    def validate(self) -> None:
        problems = []
        if not 0 <= self.control_share < 1:
            problems.append(f"control_share must be at least 0 and below 1, got {self.control_share}")
        if not self.control_salt:
            problems.append("control_salt must not be empty")
        for key in ("complaint_days", "price_lookback_days", "evaluation_days"):
            if getattr(self, key) < 1:
                problems.append(f"{key} must be at least 1 day, got {getattr(self, key)}")
        if not 0 < self.price_sensitive_share <= 1:
            problems.append(f"price_sensitive_share must be above 0 and at most 1, got {self.price_sensitive_share}")
        if not any(rule.lists_customer for rule in self.playbook):
            problems.append("the playbook has no rule with an action other than no_action: the list would be empty")
        labels: dict[str, tuple[str, str, PlaybookRule]] = {}
        for rule in self.playbook:
            first = labels.setdefault(rule.action, (rule.label_en, rule.label_zh, rule))
            if first[:2] != (rule.label_en, rule.label_zh):
                problems.append(f"{rule.name} labels the action differently from {first[2].name}; rules sharing an "
                                "action code need the same label_en and label_zh")
        if problems:
            raise ValueError("invalid [actions] settings: " + "; ".join(problems))

    def control_threshold(self) -> int:
        """Customers whose control number is below this are in the control group."""
        return round(self.control_share * HASH_RANGE)

    def actions(self) -> list[tuple[str, str, str]]:
        """(action, label_en, label_zh) of the actions that put a customer on the list, in playbook order."""
        seen: dict[str, tuple[str, str, str]] = {}
        for rule in self.playbook:
            if rule.lists_customer:
                seen.setdefault(rule.action, (rule.action, rule.label_en, rule.label_zh))
        return list(seen.values())

