"""Next best actions as DuckDB SQL: which action an account manager should take with each customer,
why, in which order, and, from earlier lists, whether the actions worked.

**Playbook.** ``[[actions.playbook]]`` in settings.toml is an ordered list of rules; the first rule
whose conditions all hold gives the customer's action (code, English and Chinese label and reason).
A rule without conditions matches everyone, so a last rule without conditions is a catch-all.
Conditions (all optional, a list matches when the customer's value is one of its entries; a
customer without a value, e.g. a prospect without a risk tier, matches no list):

- ``grades``: key-account grade (VIP, A, B, C) from analytics.key_accounts;
- ``segments``: RFM segment names from analytics.rfm (the ``[[rfm.segments]]`` names);
- ``value_tiers``: RFM value tier (high, normal, low);
- ``lifecycle``: current lifecycle stage (potential, new, reactivated, churned, at_risk, loyal, active);
- ``risk_tiers``: churn risk tier from analytics.churn_scores (high, medium, low);
- ``recent_complaint``: true / false, a complaint ticket opened in the last
  ``[actions] complaint_days`` days;
- ``price_sensitive``: true / false, at least ``[actions] price_sensitive_share`` of the customer's
  completed order-line revenue in the last ``price_lookback_days`` days was bought with a discount.

The action code ``no_action`` means "not on the list": customers whose first matching rule is a
``no_action`` rule, or who match no rule, are left out. Reasons may contain placeholders such as
``{days_since_last_order}`` (see ``PLACEHOLDERS``), filled from the data in SQL; the template text
itself only ever becomes a quoted SQL literal.

**Control group.** Every listed customer is in the control group when
``md5(control_salt || customer_id)``, read as a number from its first 13 hexadecimal digits, is
below ``control_share`` × 16^13. The assignment depends only on the salt and the id, so a customer
stays in the same group from run to run and from one DuckDB version to the next (md5 is fixed);
``control_bucket`` computes the same number in Python. Control customers stay on the list with the
action ``control_no_action`` and keep the action they would have had in ``assigned_action``.

**Lift.** For each earlier list, retention (a completed order within ``evaluation_days`` after the
list date) of treated customers minus that of control customers, with a 95% normal-approximation
confidence interval.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from assets.analytics.rfm.logic import VALUE_TIERS_ZH
from assets.common.consistency import built_for_other_dates
from assets.common.settings import shipped
from assets.common.vocabulary import GRADES, LIFECYCLE_STAGES, RISK_TIERS

NO_ACTION = "no_action"
CONTROL_ACTION = "control_no_action"
CONTROL_LABEL_EN = "Control group: no playbook action"
CONTROL_LABEL_ZH = "对照组：本期不采取行动"
ALL_ACTIONS = "all"
RESERVED_ACTIONS = (CONTROL_ACTION, ALL_ACTIONS)

VALUE_TIERS = tuple(VALUE_TIERS_ZH)
# Hex digits of the md5 read as the control-group number (52 bits: exact in a double and a BIGINT).
HASH_DIGITS = 13
HASH_RANGE = 16 ** HASH_DIGITS
# Two-sided 95% normal quantile used for the lift confidence interval.
Z_95 = 1.96
# Shown in a reason where a placeholder has no value (a prospect has no churn probability).
MISSING = "—"

NBA_TABLE = "analytics.next_best_actions"
HISTORY_TABLE = "analytics.action_list_history"
LIFT_TABLE = "analytics.action_lift"

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


def _money(column: str) -> str:
    return f"format('{{:,}}', CAST(round({column}) AS BIGINT))"


def _percent(column: str) -> str:
    return f"CAST(CAST(round(100 * {column}) AS BIGINT) AS VARCHAR) || '%'"


# Placeholders a reason may use -> SQL text expression over the facts (NULL is shown as MISSING).
PLACEHOLDERS: dict[str, str] = {
    "churn_probability": _percent("churn_probability"),
    "risk_tier": "risk_tier",
    "risk_tier_zh": "risk_tier_zh",
    "top_reasons": "nullif(top_reasons, '')",
    "top_reasons_zh": "nullif(top_reasons_zh, '')",
    "value_at_risk": _money("value_at_risk"),
    "clv_12m": _money("clv_12m"),
    "grade": "grade",
    "segment": "segment",
    "segment_zh": "segment_zh",
    "value_tier": "value_tier",
    "lifecycle_stage": "replace(lifecycle_stage, '_', ' ')",
    "lifecycle_stage_zh": "lifecycle_stage_zh",
    "days_since_last_order": "CAST(days_since_last_order AS VARCHAR)",
    "tenure_days": "CAST(tenure_days AS VARCHAR)",
    "recent_complaints": "CAST(recent_complaints AS VARCHAR)",
    "complaint_days": "CAST(complaint_days AS VARCHAR)",
    "discount_share": _percent("discount_share"),
}

_ACTION_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


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
        """The rule's conditions in Python (the SQL of ``condition_sql`` does the same on a table)."""
        for key, (column, _allowed) in LIST_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None and facts.get(column) not in wanted:
                return False
        for key, column in FLAG_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None and bool(facts.get(column) or False) != wanted:
                return False
        return True

    def condition_sql(self) -> str:
        """A SQL boolean over the facts columns; TRUE for a rule without conditions."""
        parts = []
        for key, (column, _allowed) in LIST_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None:
                parts.append(f"coalesce({column} IN ({', '.join(_literal(v) for v in wanted)}), false)")
        for key, column in FLAG_CONDITIONS.items():
            wanted = getattr(self, key)
            if wanted is not None:
                parts.append(column if wanted else f"NOT {column}")
        return " AND ".join(parts) if parts else "true"


def first_matching_rule(rules: Sequence[PlaybookRule], facts: Mapping[str, Any]) -> PlaybookRule | None:
    """The first rule matching a customer's facts ("first match wins"), or None."""
    return next((rule for rule in rules if rule.matches(facts)), None)


def reason_sql(template: str, rule_name: str = "reason") -> str:
    """A SQL text expression filling ``{placeholder}`` fields of a template from the facts columns.
    Literal text becomes quoted SQL literals; ``{{`` and ``}}`` give literal braces."""
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{rule_name}: cannot read the text {template!r}: {exc} (write {{{{ for a brace)") from exc
    parts = []
    for literal, field, spec, conversion in pieces:
        if literal:
            parts.append(_literal(literal))
        if field is None:
            continue
        if field not in PLACEHOLDERS or spec or conversion:
            raise ValueError(
                f"{rule_name}: unknown placeholder {{{field}{'!' + conversion if conversion else ''}"
                f"{':' + spec if spec else ''}}} in {template!r}; known: {', '.join(sorted(PLACEHOLDERS))}"
            )
        parts.append(f"coalesce({PLACEHOLDERS[field]}, {_literal(MISSING)})")
    return "concat(" + ", ".join(parts) + ")" if parts else "''"


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
        reason_sql(texts[key], f"{name} {key}")  # placeholders are checked here, at load
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


# The shipped playbook; pipelines/settings.toml carries the same rules (a test keeps them equal).
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
class ActionSettings:
    """The ``[actions]`` section of settings.toml with its ``[[actions.playbook]]`` rules, validated."""

    control_share: float = float(shipped("actions", "control_share"))
    control_salt: str = str(shipped("actions", "control_salt"))
    complaint_days: int = int(shipped("actions", "complaint_days"))
    price_sensitive_share: float = float(shipped("actions", "price_sensitive_share"))
    price_lookback_days: int = int(shipped("actions", "price_lookback_days"))
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
        made = cls(
            control_share=float(section.get("control_share", cls.control_share)),
            control_salt=str(section.get("control_salt", cls.control_salt)),
            complaint_days=int(section.get("complaint_days", cls.complaint_days)),
            price_sensitive_share=float(section.get("price_sensitive_share", cls.price_sensitive_share)),
            price_lookback_days=int(section.get("price_lookback_days", cls.price_lookback_days)),
            evaluation_days=int(section.get("evaluation_days", horizon)),
            playbook=rules,
        )
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


# --- control group -------------------------------------------------------------------------------


def control_bucket(salt: str, customer_id: str) -> int:
    """The control-group number of a customer: the first 13 hex digits of md5(salt + id), 0 … 16^13 − 1."""
    return int(hashlib.md5((salt + customer_id).encode("utf-8")).hexdigest()[:HASH_DIGITS], 16)


def is_control(settings: ActionSettings, customer_id: str) -> bool:
    return control_bucket(settings.control_salt, customer_id) < settings.control_threshold()


def control_bucket_sql(salt: str, column: str = "customer_id") -> str:
    """The same number in DuckDB SQL."""
    return f"CAST('0x' || substr(md5({_literal(salt)} || {column}), 1, {HASH_DIGITS}) AS BIGINT)"


def control_sql(settings: ActionSettings, column: str = "customer_id") -> str:
    return f"({control_bucket_sql(settings.control_salt, column)} < {settings.control_threshold()})"


# --- the list ------------------------------------------------------------------------------------


def facts_sql(settings: ActionSettings) -> str:
    """One row per customer to decide on: every scored customer and every customer in the current
    lifecycle snapshot (prospects included), with the facts the playbook reads. ``$as_of`` DATE."""
    return f"""
scores AS (
    SELECT customer_id, any_value(churn_probability) AS churn_probability, any_value(risk_tier) AS risk_tier,
           any_value(risk_tier_zh) AS risk_tier_zh, any_value(top_reasons) AS top_reasons,
           any_value(top_reasons_zh) AS top_reasons_zh, any_value(clv_12m) AS clv_12m,
           any_value(value_at_risk) AS value_at_risk
    FROM analytics.churn_scores WHERE customer_id IS NOT NULL GROUP BY customer_id
),
stage AS (
    SELECT customer_id, any_value(stage) AS stage, any_value(stage_zh) AS stage_zh,
           any_value(days_since_last_order) AS days_since_last_order, any_value(tenure_days) AS tenure_days
    FROM analytics.lifecycle WHERE is_current AND customer_id IS NOT NULL GROUP BY customer_id
),
population AS (
    SELECT customer_id FROM scores UNION SELECT customer_id FROM stage
),
complaints AS (
    SELECT customer_id, count(*) AS recent_complaints
    FROM core.tickets
    WHERE is_complaint AND customer_id IS NOT NULL AND opened_date <= $as_of::DATE
      AND opened_date > $as_of::DATE - {int(settings.complaint_days)}
    GROUP BY customer_id
),
discounts AS (
    SELECT customer_id,
           CASE WHEN sum(amount) > 0
                THEN CAST(coalesce(sum(amount) FILTER (WHERE discount > 0), 0) AS DOUBLE) / CAST(sum(amount) AS DOUBLE)
           END AS discount_share
    FROM core.order_lines
    WHERE status = 'completed' AND customer_id IS NOT NULL AND order_date <= $as_of::DATE
      AND order_date > $as_of::DATE - {int(settings.price_lookback_days)}
    GROUP BY customer_id
),
facts AS (
    SELECT p.customer_id, c.company, c.owner, k.grade, r.segment, r.segment_zh, r.value_tier,
           st.stage AS lifecycle_stage, st.stage_zh AS lifecycle_stage_zh, st.days_since_last_order, st.tenure_days,
           s.risk_tier, s.risk_tier_zh, s.top_reasons, s.top_reasons_zh,
           round(s.churn_probability, 6) AS churn_probability, round(s.clv_12m, 2) AS clv_12m,
           round(s.value_at_risk, 2) AS value_at_risk,
           coalesce(cm.recent_complaints, 0) AS recent_complaints,
           coalesce(cm.recent_complaints, 0) > 0 AS recent_complaint,
           {int(settings.complaint_days)} AS complaint_days,
           round(d.discount_share, 6) AS discount_share,
           coalesce(d.discount_share >= {float(settings.price_sensitive_share)!r}, false) AS price_sensitive,
           {control_sql(settings, "p.customer_id")} AS is_control
    FROM population p
    LEFT JOIN scores s USING (customer_id)
    LEFT JOIN stage st USING (customer_id)
    LEFT JOIN (SELECT customer_id, any_value(company) AS company, any_value(owner) AS owner
               FROM core.customers GROUP BY customer_id) c USING (customer_id)
    LEFT JOIN (SELECT customer_id, any_value(grade) AS grade FROM analytics.key_accounts GROUP BY customer_id) k
           USING (customer_id)
    LEFT JOIN (SELECT customer_id, any_value(segment) AS segment, any_value(segment_zh) AS segment_zh,
                      any_value(value_tier) AS value_tier
               FROM analytics.rfm GROUP BY customer_id) r USING (customer_id)
    LEFT JOIN complaints cm USING (customer_id)
    LEFT JOIN discounts d USING (customer_id)
)"""


def _case(rules: Sequence[PlaybookRule], value) -> str:
    whens = "\n".join(f"            WHEN {rule.position} THEN {value(rule)}" for rule in rules)
    return f"CASE rule_no\n{whens}\n        END"


def next_best_actions_sql(settings: ActionSettings) -> str:
    """The statement rebuilding analytics.next_best_actions; parameter ``$as_of`` (DATE)."""
    rules = settings.playbook
    rule_no = "CASE\n" + "\n".join(
        f"            WHEN {rule.condition_sql()} THEN {rule.position}" for rule in rules) + "\n        END"
    listed = [rule for rule in rules if rule.lists_customer]
    listed_numbers = ", ".join(str(rule.position) for rule in listed)
    share = f"{100 * settings.control_share:g}%"
    control_reason_en = (f"Control group (a random, fixed {share} of customers) to measure what the actions achieve: "
                         "no playbook action this time. Would have been: ")
    control_reason_zh = f"对照组（固定随机抽取的 {share} 客户），用于衡量行动效果：本期不执行行动建议。原建议："
    return f"""
CREATE OR REPLACE TABLE {NBA_TABLE} AS
WITH {facts_sql(settings).strip()},
matched AS (
    SELECT *, {rule_no} AS rule_no FROM facts
),
assigned AS (
    SELECT *,
        {_case(listed, lambda r: _literal(r.action))} AS assigned_action,
        {_case(listed, lambda r: _literal(r.label_en))} AS assigned_label_en,
        {_case(listed, lambda r: _literal(r.label_zh))} AS assigned_label_zh,
        {_case(listed, lambda r: reason_sql(r.reason_en))} AS assigned_reason_en,
        {_case(listed, lambda r: reason_sql(r.reason_zh))} AS assigned_reason_zh
    FROM matched
    WHERE rule_no IN ({listed_numbers})
)
SELECT row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, churn_probability DESC NULLS LAST, customer_id)
           AS priority_rank,
       customer_id, company, owner, grade, segment, value_tier, lifecycle_stage, risk_tier,
       churn_probability, clv_12m, value_at_risk,
       assigned_action,
       CASE WHEN is_control THEN {_literal(CONTROL_ACTION)} ELSE assigned_action END AS action,
       CASE WHEN is_control THEN {_literal(CONTROL_LABEL_EN)} ELSE assigned_label_en END AS action_label_en,
       CASE WHEN is_control THEN {_literal(CONTROL_LABEL_ZH)} ELSE assigned_label_zh END AS action_label_zh,
       CASE WHEN is_control THEN {_literal(control_reason_en)} || assigned_label_en || '.'
            ELSE assigned_reason_en END AS reason_en,
       CASE WHEN is_control THEN {_literal(control_reason_zh)} || assigned_label_zh || '。'
            ELSE assigned_reason_zh END AS reason_zh,
       is_control,
       $as_of::DATE AS as_of
FROM assigned
ORDER BY priority_rank
"""


def build_next_best_actions(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ActionSettings) -> None:
    """Rebuild analytics.next_best_actions as of the given date."""
    conn.execute(next_best_actions_sql(settings), {"as_of": as_of})


INPUT_TABLES = ("analytics.churn_scores", "analytics.rfm", "analytics.lifecycle", "analytics.key_accounts")


def stale_inputs(conn: duckdb.DuckDBPyConnection, as_of: date) -> list[str]:
    """Input tables built for another as-of date than this run's (empty tables are not stale)."""
    return built_for_other_dates(conn, INPUT_TABLES, as_of)


# --- history -------------------------------------------------------------------------------------

HISTORY_DDL = f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    list_date DATE, customer_id VARCHAR, assigned_action VARCHAR, is_control BOOLEAN,
    churn_probability DOUBLE, value_at_risk DOUBLE)"""


def record_action_list(conn: duckdb.DuckDBPyConnection, list_date: date) -> int:
    """Store the current analytics.next_best_actions as the list issued on ``list_date``: that date's
    earlier rows are replaced, other dates are kept, in one transaction. Returns the rows written."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    conn.execute(HISTORY_DDL)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"DELETE FROM {HISTORY_TABLE} WHERE list_date = $d", {"d": list_date})
        conn.execute(
            f"""INSERT INTO {HISTORY_TABLE}
                SELECT $d::DATE, customer_id, assigned_action, is_control,
                       CAST(churn_probability AS DOUBLE), CAST(value_at_risk AS DOUBLE)
                FROM {NBA_TABLE} WHERE as_of = $d::DATE ORDER BY customer_id""",
            {"d": list_date},
        )
        written = conn.execute(f"SELECT count(*) FROM {HISTORY_TABLE} WHERE list_date = $d",
                               {"d": list_date}).fetchall()[0][0]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(written)


# --- lift ----------------------------------------------------------------------------------------


def _rate(numerator: str, denominator: str) -> str:
    return f"CASE WHEN {denominator} > 0 THEN CAST({numerator} AS DOUBLE) / {denominator} END"


def action_lift_sql(settings: ActionSettings) -> str:
    """The statement rebuilding analytics.action_lift from the list history; ``$as_of`` DATE."""
    horizon = int(settings.evaluation_days)
    se = ("sqrt(treated_retention * (1 - treated_retention) / treated_customers "
          "+ control_retention * (1 - control_retention) / control_customers)")
    return f"""
CREATE OR REPLACE TABLE {LIFT_TABLE} AS
WITH lists AS (
    SELECT list_date,
           least(list_date + {horizon}, $as_of::DATE) AS window_end,
           list_date + {horizon} <= $as_of::DATE AS window_complete
    FROM (SELECT DISTINCT list_date FROM {HISTORY_TABLE} WHERE list_date < $as_of::DATE)
),
members AS (
    SELECT h.list_date, h.customer_id, h.assigned_action, h.is_control, l.window_end, l.window_complete
    FROM {HISTORY_TABLE} h JOIN lists l USING (list_date)
),
retained AS (
    SELECT DISTINCT m.list_date, m.customer_id
    FROM members m
    JOIN core.orders o ON o.customer_id = m.customer_id AND o.is_revenue
     AND o.order_date > m.list_date AND o.order_date <= m.window_end
),
counted AS (
    SELECT m.list_date,
           CASE WHEN grouping(m.assigned_action) = 1 THEN '{ALL_ACTIONS}' ELSE m.assigned_action END
             AS assigned_action,
           count(*) FILTER (WHERE NOT m.is_control) AS treated_customers,
           count(*) FILTER (WHERE NOT m.is_control AND r.customer_id IS NOT NULL) AS treated_retained,
           count(*) FILTER (WHERE m.is_control) AS control_customers,
           count(*) FILTER (WHERE m.is_control AND r.customer_id IS NOT NULL) AS control_retained,
           any_value(m.window_end) AS window_end, any_value(m.window_complete) AS window_complete
    FROM members m LEFT JOIN retained r USING (list_date, customer_id)
    GROUP BY GROUPING SETS ((m.list_date, m.assigned_action), (m.list_date))
),
rates AS (
    SELECT *, {_rate("treated_retained", "treated_customers")} AS treated_retention,
              {_rate("control_retained", "control_customers")} AS control_retention
    FROM counted
),
spread AS (
    -- standard error of the difference; 0 when both groups are all retained or all lost, where the
    -- normal approximation says nothing: the interval is then left empty
    SELECT *, nullif({se}, 0) AS standard_error FROM rates
)
SELECT list_date, assigned_action,
       treated_customers, treated_retained, round(treated_retention, 6) AS treated_retention,
       control_customers, control_retained, round(control_retention, 6) AS control_retention,
       round(treated_retention - control_retention, 6) AS lift,
       round(treated_retention - control_retention - {Z_95} * standard_error, 6) AS lift_ci_low,
       round(treated_retention - control_retention + {Z_95} * standard_error, 6) AS lift_ci_high,
       {horizon} AS evaluation_days, window_end, window_complete,
       $as_of::DATE AS as_of
FROM spread
ORDER BY list_date, assigned_action <> '{ALL_ACTIONS}', assigned_action
"""


def build_action_lift(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ActionSettings) -> None:
    """Rebuild analytics.action_lift (creating an empty history first when there is none)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    conn.execute(HISTORY_DDL)
    conn.execute(action_lift_sql(settings), {"as_of": as_of})


def lift_status(conn: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """In words: which lists were evaluated, or why the lift table is empty."""
    lists, first, last = conn.execute(
        f"SELECT count(DISTINCT list_date), min(list_date), max(list_date) FROM {HISTORY_TABLE}").fetchall()[0]
    evaluated, complete = conn.execute(
        f"SELECT count(DISTINCT list_date), count(DISTINCT list_date) FILTER (WHERE window_complete) "
        f"FROM {LIFT_TABLE}").fetchall()[0]
    if not lists:
        return ("empty: no action list has been issued yet (analytics.action_list_history is empty). Lift is "
                "measured once a later run looks back at a list issued by an earlier run.")
    if not evaluated:
        return (f"empty: no list issued before the as-of date {as_of.isoformat()} (history holds {lists} list(s), "
                f"{first.isoformat()} to {last.isoformat()}). A list is evaluated by a run with a later as-of date, "
                "when its customers have had time to order again.")
    running = evaluated - complete
    return (f"{evaluated} list(s) evaluated ({first.isoformat()} onwards), {complete} with a complete evaluation "
            "window" + (f"; {running} still running, counted up to {as_of.isoformat()}." if running else "."))
