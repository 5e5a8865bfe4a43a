"""The codes the tables use and their names in Chinese and English, written once: key-account
grades, churn risk tiers, value tiers, lifecycle stages and churn model names. Tables store the
codes; reports and zh columns take the names from here."""

from __future__ import annotations

# Key-account grades, best first; the key accounts a manager follows personally.
GRADES = ("VIP", "A", "B", "C")
KEY_GRADES = ("VIP", "A")
GRADE_NAMES = {
    "zh": {"VIP": "VIP", "A": "A 类", "B": "B 类", "C": "C 类"},
    "en": {"VIP": "VIP", "A": "A", "B": "B", "C": "C"},
}

# Churn risk tiers, highest first: a short name (in tables) and a long one (in sentences).
RISK_TIERS = ("high", "medium", "low")
RISK_TIER_SHORT_NAMES = {
    "zh": {"high": "高", "medium": "中", "low": "低"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}
RISK_TIER_NAMES = {
    "zh": {"high": "高风险", "medium": "中风险", "low": "低风险"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}

# RFM value tiers.
VALUE_TIER_NAMES = {
    "zh": {"high": "高价值", "normal": "普通", "low": "低价值"},
    "en": {"high": "High value", "normal": "Normal", "low": "Low value"},
}

# Lifecycle stages, in the order the rules assign them, and the pseudo-stage of a customer's first
# snapshot in the transitions table.
LIFECYCLE_STAGES = ("potential", "new", "reactivated", "churned", "at_risk", "loyal", "active")
FIRST_SEEN_STAGE = "none"
STAGE_NAMES = {
    "zh": {"potential": "潜在", "new": "新客", "reactivated": "回流", "churned": "流失", "at_risk": "风险",
           "loyal": "忠诚", "active": "活跃", "none": "首次出现"},
    "en": {"potential": "Prospect", "new": "New", "active": "Active", "loyal": "Loyal", "at_risk": "At risk",
           "reactivated": "Reactivated", "churned": "Churned", "none": "First appearance"},
}

# Churn scoring candidates, in the order they are compared (a later one ships only when better).
CHURN_MODELS = ("recency_rule", "bgnbd_score", "logistic_regression", "gradient_boosting")
CHURN_MODEL_NAMES = {
    "zh": {"recency_rule": "最近购买间隔规则", "bgnbd_score": "BG/NBD 购买模型评分", "logistic_regression": "逻辑回归",
           "gradient_boosting": "梯度提升树"},
    "en": {"recency_rule": "recency rule", "bgnbd_score": "BG/NBD purchase-model score",
           "logistic_regression": "logistic regression", "gradient_boosting": "gradient boosting"},
}
