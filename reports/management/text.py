"""Wording of the management report (客户管理汇报) in Chinese and English.

The sentences are computed from the data by plain functions (each takes a ``Formatter``, whose
``language`` picks the wording, and small inputs) so they can be tested on hand-made values. The
texts are plain strings: the template escapes them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from assets.common.vocabulary import CHURN_MODEL_NAMES, RISK_TIER_NAMES, STAGE_NAMES, VALUE_TIER_NAMES
from reports.common.formatting import Formatter
from reports.common.wording import wording

_MONTHS_LONG = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")

_WORDING = wording(__file__)
SECTIONS = _WORDING["sections"]

SUBSECTIONS = _WORDING["subsections"]

LABELS = _WORDING["labels"]

STAGES = STAGE_NAMES
RISK_TIERS = RISK_TIER_NAMES
VALUE_TIERS = VALUE_TIER_NAMES
MODELS = CHURN_MODEL_NAMES
METRICS = _WORDING["metrics"]
SOURCES = _WORDING["sources"]
LOWER_IS_BETTER = frozenset({"brier_score", "churn_rate", "churned_customers", "complaint_rate",
                             "median_first_response_hours", "median_resolution_hours", "email_unsubscribe_rate"})
# Decimals of score KPIs (CSAT 1–5, NPS −100..100); other scores get one.
SCORE_DECIMALS = {"csat": 2}


def stage_label(language: str, stage: str, stage_zh: str | None = None) -> str:
    if language == "zh":
        return stage_zh or ("首次出现" if stage == "none" else stage)
    return STAGES["en"].get(stage, stage)


def risk_label(language: str, tier: str) -> str:
    return RISK_TIERS[language].get(tier, tier)


def value_tier_label(language: str, tier: str, tier_zh: str | None = None) -> str:
    if language == "zh":
        return tier_zh or tier
    return VALUE_TIERS["en"].get(tier, tier)


def model_label(language: str, model: str) -> str:
    return MODELS[language].get(model, model)


def source_label(language: str, source: str) -> str:
    return SOURCES[language].get(source, source)


def month_text(fmt: Formatter, month: date) -> str:
    """2026年6月 / June 2026."""
    if fmt.language == "zh":
        return f"{month.year}年{month.month}月"
    return f"{_MONTHS_LONG[month.month - 1]} {month.year}"


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


# --- values and changes --------------------------------------------------------------------------------

def kpi_value_text(fmt: Formatter, kpi: str, unit: str | None, value: float | None) -> str:
    """A KPI value as shown on a card: counts 1,309; money ¥129.9万 / ¥1.3M (¥1,367 below 10,000);
    ratios 59.0%; scores 4.05 / 33.3; hours 1.3 h."""
    if value is None:
        return fmt.number(None)
    if unit == "CNY":
        return fmt.money_short(value) if abs(value) >= 1e4 else fmt.money(value)
    if unit == "ratio":
        return fmt.percent(value)
    if unit == "score":
        return fmt.number(value, SCORE_DECIMALS.get(kpi, 1))
    if unit == "hours":
        return f"{fmt.number(value, 1)} {LABELS[fmt.language]['hours']}" if fmt.language == "en" \
            else f"{fmt.number(value, 1)} 小时"
    return fmt.number(value)


def _delta(kpi: str, unit: str | None, change: float | None, relative: float | None) -> tuple[float | None, float]:
    """The change to describe and the tolerance under which it reads as flat (it rounds to zero)."""
    if unit in ("count", "CNY", None):
        return relative, 0.0005
    if unit == "ratio":
        return change, 0.0005
    decimals = SCORE_DECIMALS.get(kpi, 1)
    return change, 0.5 * 10 ** -decimals


def direction(kpi: str, unit: str | None, change: float | None, relative: float | None) -> str | None:
    """'up', 'down', 'flat' or None (nothing to compare with)."""
    delta, tolerance = _delta(kpi, unit, change, relative)
    if delta is None:
        return None
    if abs(delta) < tolerance:
        return "flat"
    return "up" if delta > 0 else "down"


def change_amount(fmt: Formatter, kpi: str, unit: str | None, change: float | None, relative: float | None) -> str:
    """The size of a change without its sign: 8.3% (counts, money), 13.2 pp / 13.2 个百分点 (ratios),
    0.08 (scores), 7.7 hours."""
    delta, _ = _delta(kpi, unit, change, relative)
    if delta is None:
        return fmt.number(None)
    size = abs(delta)
    if unit in ("count", "CNY", None):
        return fmt.percent(size)
    if unit == "ratio":
        return f"{size * 100:.1f} 个百分点" if fmt.language == "zh" else f"{size * 100:.1f} pp"
    if unit == "hours":
        return f"{size:.1f} 小时" if fmt.language == "zh" else f"{size:.1f} hours"
    return f"{size:.{SCORE_DECIMALS.get(kpi, 1)}f}"


def signed_change(fmt: Formatter, kpi: str, unit: str | None, change: float | None, relative: float | None) -> str:
    """A change as shown on a card: +8.3%, −13.2 pp / −13.2个百分点, +0.08; — when missing."""
    delta, _ = _delta(kpi, unit, change, relative)
    if delta is None:
        return fmt.number(None)
    if unit in ("count", "CNY", None):
        return fmt.signed_percent(delta)
    if unit == "ratio":
        return fmt.points(delta)
    return f"{delta:+.{SCORE_DECIMALS.get(kpi, 1) if unit == 'score' else 1}f}"


def _zh_verb(unit: str | None, way: str) -> str:
    if unit in ("count", "CNY", None):
        return {"up": "增长", "down": "下降"}[way]
    return {"up": "上升", "down": "下降"}[way]


def comparison_clause(fmt: Formatter, kpi: str, unit: str | None, month: date, row: dict[str, Any]) -> str:
    """How a KPI moved against the previous month and the same month last year.

    en: "up 8.3% on May and 12.0% on June 2025" · "up 8.3% on May but down 2.0% on June 2025" ·
    "unchanged on May" · "" when neither comparison exists.
    zh: "环比增长 8.3%，同比增长 12.0%" · "环比持平" · "".
    """
    prev_month = previous_month(month)
    last_year = month.replace(year=month.year - 1)
    parts = []
    for basis, change_key, relative_key in (
        ("previous", "change_vs_previous_month", "relative_change_vs_previous_month"),
        ("last_year", "change_vs_last_year", "relative_change_vs_last_year"),
    ):
        change, relative = row.get(change_key), row.get(relative_key)
        way = direction(kpi, unit, change, relative)
        if way is None:
            continue
        parts.append((basis, way, change_amount(fmt, kpi, unit, change, relative)))
    if fmt.language == "zh":
        texts = []
        for basis, way, amount in parts:
            prefix = "环比" if basis == "previous" else "同比"
            texts.append(f"{prefix}持平" if way == "flat" else f"{prefix}{_zh_verb(unit, way)} {amount}")
        return "，".join(texts)
    texts = []
    previous_way = None
    for basis, way, amount in parts:
        if basis == "previous":
            when = (_MONTHS_LONG[prev_month.month - 1] if prev_month.year == month.year
                    else month_text(fmt, prev_month))
        else:
            when = month_text(fmt, last_year)
        if way == "flat":
            text = f"unchanged on {when}"
        elif way == previous_way:
            text = f"{amount} on {when}"
        else:
            text = f"{way} {amount} on {when}"
        if texts:
            opposite = previous_way in ("up", "down") and way in ("up", "down") and way != previous_way
            joiner = "but" if opposite else "and"
            text = f"{joiner} {text}"
        texts.append(text)
        previous_way = way
    return " ".join(texts)


# --- executive summary --------------------------------------------------------------------------------

def revenue_sentence(fmt: Formatter, month: date, row: dict[str, Any] | None) -> str | None:
    """"Revenue in June 2026 was ¥1.2M, up 8.3% on May and 12.0% on June 2025." /
    "2026年6月营收 ¥120.3万，环比增长 8.3%，同比增长 12.0%。" None without revenue."""
    if not row or row.get("value") is None:
        return None
    amount = kpi_value_text(fmt, "revenue", "CNY", row["value"])
    clause = comparison_clause(fmt, "revenue", "CNY", month, row)
    if fmt.language == "zh":
        return f"{month_text(fmt, month)}营收 {amount}，{clause}。" if clause \
            else f"{month_text(fmt, month)}营收 {amount}（暂无可比月份）。"
    return f"Revenue in {month_text(fmt, month)} was {amount}, {clause}." if clause \
        else f"Revenue in {month_text(fmt, month)} was {amount} (no earlier month to compare with)."


def customers_sentence(fmt: Formatter, month: date, snapshot: dict[str, dict[str, Any]]) -> str | None:
    """Customers at the month end with their change, and the month's active, new and churned customers."""
    row = snapshot.get("customers")
    if not row or row.get("value") is None:
        return None

    def count(kpi: str) -> str:
        value = (snapshot.get(kpi) or {}).get("value")
        return fmt.number(value)

    clause = comparison_clause(fmt, "customers", "count", month, row)
    if fmt.language == "zh":
        head = f"截至{month_text(fmt, month)}底共有客户 {fmt.number(row['value'])} 位（近一年内有购买的客户）"
        head += f"，{clause}" if clause else ""
        return (f"{head}；当月 {count('active_customers')} 位客户下单，新增 {count('new_customers')} 位，"
                f"流失 {count('churned_customers')} 位。")
    head = f"At the end of {month_text(fmt, month)} there were {fmt.number(row['value'])} customers (buyers of the " \
           f"last year)"
    head += f", {clause}" if clause else ""
    return (f"{head}; {count('active_customers')} bought in the month, {count('new_customers')} were new and "
            f"{count('churned_customers')} churned.")


def retention_sentence(fmt: Formatter, month: date, snapshot: dict[str, dict[str, Any]]) -> str | None:
    """Retention (with its change) and the repurchase rate of the month."""
    retention = snapshot.get("retention_rate") or {}
    repurchase = snapshot.get("repurchase_rate") or {}
    if retention.get("value") is None and repurchase.get("value") is None:
        return None
    parts = []
    if retention.get("value") is not None:
        clause = comparison_clause(fmt, "retention_rate", "ratio", month, retention)
        if fmt.language == "zh":
            parts.append(f"留存率 {fmt.percent(retention['value'])}" + (f"，{clause}" if clause else ""))
        else:
            parts.append(f"Retention (last month's buyers buying again) was {fmt.percent(retention['value'])}"
                         + (f", {clause}" if clause else ""))
    if repurchase.get("value") is not None:
        if fmt.language == "zh":
            parts.append(f"复购率 {fmt.percent(repurchase['value'])}")
        else:
            parts.append(f"{'the' if parts else 'The'} repurchase rate was {fmt.percent(repurchase['value'])}")
    return ("；".join(parts) + "。") if fmt.language == "zh" else ("; ".join(parts) + ".")


def risk_sentence(fmt: Formatter, scored: int, high_risk: int, high_risk_value: float | None,
                  total_value: float | None) -> str:
    """High-risk customers and the value at risk; says so when nobody was scored."""
    if not scored:
        return ("本期没有流失评分：现有数据不足以训练流失模型。" if fmt.language == "zh"
                else "No churn scores this period: there is not enough history to train the churn model.")
    if fmt.language == "zh":
        return (f"{fmt.number(high_risk)} 位客户处于高流失风险（共评分 {fmt.number(scored)} 位），"
                f"其未来 12 个月预计价值中 {fmt.money_short(high_risk_value)} 面临流失；"
                f"全部评分客户的风险价值合计 {fmt.money_short(total_value)}。")
    return (f"{fmt.number(high_risk)} of the {fmt.number(scored)} customers scored are at high churn risk, with "
            f"{fmt.money_short(high_risk_value)} of predicted 12-month value at risk; across all scored customers "
            f"the value at risk is {fmt.money_short(total_value)}.")


def service_sentence(fmt: Formatter, month: date, snapshot: dict[str, dict[str, Any]]) -> str | None:
    """CSAT and NPS of the month with their changes; None when neither was measured."""
    parts = []
    for kpi, zh_name, en_name in (("csat", "客户满意度", "CSAT"), ("nps", "净推荐值", "NPS")):
        row = snapshot.get(kpi) or {}
        if row.get("value") is None:
            continue
        value = fmt.number(row["value"], SCORE_DECIMALS.get(kpi, 1))
        clause = comparison_clause(fmt, kpi, "score", month, row)
        if fmt.language == "zh":
            parts.append(f"{zh_name} {value}" + (f"（{clause}）" if clause else ""))
        else:
            parts.append(f"{en_name} {value}" + (f" ({clause})" if clause else ""))
    if not parts:
        return None
    if fmt.language == "zh":
        return f"{month_text(fmt, month)}" + "，".join(parts) + "。"
    return f"In {month_text(fmt, month)}: " + "; ".join(parts) + "."


def quality_sentence(fmt: Formatter, overall: float | None, quarantined_rows: int) -> str | None:
    """The overall data-quality score and the rows waiting in quarantine."""
    if overall is None and not quarantined_rows:
        return None
    if fmt.language == "zh":
        head = f"整体数据质量评分 {fmt.percent(overall)}；" if overall is not None else ""
        tail = (f"导出文件中有 {fmt.number(quarantined_rows)} 行因不符合规则被隔离，待源系统修正。" if quarantined_rows
                else "没有被隔离的数据行。")
        return head + tail
    head = f"The overall data-quality score is {fmt.percent(overall)}; " if overall is not None else ""
    tail = (f"{fmt.number(quarantined_rows)} exported rows break a rule and wait in quarantine for a correction."
            if quarantined_rows else "no exported row is in quarantine.")
    return head + (tail if head else tail[0].upper() + tail[1:])


def executive_summary(fmt: Formatter, month: date | None, snapshot: dict[str, dict[str, Any]], scored: int,
                      high_risk: int, high_risk_value: float | None, total_value: float | None,
                      quality_overall: float | None, quarantined_rows: int, churn_notice: str | None = None,
                      churn_failed: bool = False) -> list[str]:
    """The 3–6 sentences opening the report. ``churn_notice`` is the sentence the churn scoring
    recorded when it was not built as asked: it replaces the risk sentence when the scoring failed or
    scored nobody."""
    sentences: list[str | None] = []
    if month is not None:
        sentences += [revenue_sentence(fmt, month, snapshot.get("revenue")),
                      customers_sentence(fmt, month, snapshot), retention_sentence(fmt, month, snapshot)]
    else:
        sentences.append(LABELS[fmt.language]["no_complete_month"])
    if churn_notice and (churn_failed or not scored):
        sentences.append(churn_notice)
    else:
        sentences.append(risk_sentence(fmt, scored, high_risk, high_risk_value, total_value))
    if month is not None:
        sentences.append(service_sentence(fmt, month, snapshot))
    sentences.append(quality_sentence(fmt, quality_overall, quarantined_rows))
    return [s for s in sentences if s]


# --- churn model --------------------------------------------------------------------------------------

def _better(metric: str, a: float, b: float) -> bool:
    return a < b if metric in LOWER_IS_BETTER else a > b


def churn_model_sentences(fmt: Formatter, models: list[dict[str, Any]], selection_metric: str = "roc_auc") -> list[str]:
    """Which churn model shipped, how it scored on the backtest and, when it is a simple baseline, that
    it beat (or matched) the machine-learning models."""
    zh = fmt.language == "zh"
    metric_name = METRICS[fmt.language].get(selection_metric, selection_metric)
    if not models:
        return ["本期没有训练流失模型：回测窗口中的客户或流失客户太少。" if zh
                else "No churn model was trained: too few customers or churners in the backtest window."]
    shipped = [m for m in models if m["is_shipped"]]
    if not shipped:
        statuses = "; ".join(sorted({str(m["status"]) for m in models if m.get("status")}))
        return [f"没有上线流失模型：{statuses}" if zh else f"No churn model shipped: {statuses}"]
    model = shipped[0]
    score = model["metrics"].get(selection_metric)
    name = model_label(fmt.language, model["model"])
    train, test, end = model.get("train_cutoff"), model.get("test_cutoff"), model.get("test_window_end")
    if zh:
        first = (f"上线的流失模型是{name}：回测（用截至 {fmt.date(train)} 的数据训练，检验 {fmt.date(test)} 至 "
                 f"{fmt.date(end)} 期间客户是否再次购买）中 {metric_name} 为 {fmt.number(score, 3)}。")
    else:
        first = (f"The shipped churn model is the {name}: on the backtest (trained on data up to {fmt.date(train)}, "
                 f"judged on who bought again from {fmt.date(test)} to {fmt.date(end)}) its {metric_name} was "
                 f"{fmt.number(score, 3)}.")
    sentences = [first]
    learned = [m for m in models if not m["is_baseline"] and m["metrics"].get(selection_metric) is not None]
    if model["is_baseline"] and learned and score is not None:
        beat = all(_better(selection_metric, score, m["metrics"][selection_metric]) for m in learned)
        others = ("、" if zh else ", ").join(
            f"{model_label(fmt.language, m['model'])} {fmt.number(m['metrics'][selection_metric], 3)}" for m in learned)
        if zh:
            verb = "优于" if beat else "不逊于"
            sentences.append(f"这是一个简单的基线模型：它在回测中{verb}机器学习模型（{others}），因此上线的是更简单的模型。")
        else:
            verb = "beat" if beat else "matched"
            sentences.append(f"It is a simple baseline: it {verb} the machine-learning models on the backtest "
                             f"({others}), so the simpler model ships.")
    elif model["is_baseline"]:
        sentences.append("这是一个简单的基线模型。" if zh else "It is a simple baseline.")
    return sentences


# --- strategy -----------------------------------------------------------------------------------------

def segment_finding(fmt: Formatter, row: dict[str, Any], population_days: int = 365,
                    scores_available: bool = True) -> str:
    """What the data shows about one RFM segment: its share of revenue and of customers at high churn
    risk with the value at risk (or why it has no churn scores: lapsed, or no scoring in this run when
    ``scores_available`` is False)."""
    zh = fmt.language == "zh"
    if row.get("segment") is None:
        return "在 CRM 中但尚未成交，没有购买记录。" if zh else "In the CRM without a completed order yet."
    share = fmt.percent(row.get("revenue_share") or 0.0)
    if not scores_available:
        return (f"贡献 {share} 的营收；本次运行没有流失评分。" if zh
                else f"{share} of revenue; no churn scores in this run.")
    scored = int(row.get("scored") or 0)
    if not scored:
        return (f"贡献 {share} 的营收；近 {population_days} 天没有购买，未做流失评分（已基本流失）。" if zh
                else f"{share} of revenue; no purchase in the last {population_days} days, so no churn score "
                     f"(already lapsed).")
    high = fmt.percent(int(row.get("high_risk") or 0) / scored)
    value = fmt.money_short(row.get("value_at_risk") or 0.0)
    if zh:
        return f"贡献 {share} 的营收；{high} 的已评分客户处于高流失风险，风险价值 {value}。"
    return f"{share} of revenue; {high} of the scored customers at high churn risk, {value} of value at risk."


def lift_sentence(fmt: Formatter, lift: dict[str, Any], first_list: date | None, evaluation_days: int) -> str:
    """The measured lift of the latest list whose window has ended, or when it will first be measured."""
    zh = fmt.language == "zh"
    complete = [r for r in lift.get("complete", []) if r["assigned_action"] == "all"]
    if complete:
        r = complete[0]
        ci = ""
        if r.get("lift_ci_low") is not None and r.get("lift_ci_high") is not None:
            low, high = fmt.points(r["lift_ci_low"]), fmt.points(r["lift_ci_high"])
            ci = f"（95% 置信区间 {low} 至 {high}）" if zh else f" (95% CI {low} to {high})"
        if zh:
            text = (f"{fmt.date(r['list_date'])} 发出的行动名单（{r['evaluation_days']} 天评估期至 "
                    f"{fmt.date(r['window_end'])}）：执行组 {fmt.percent(r['treated_retention'])} 的客户再次购买，"
                    f"对照组为 {fmt.percent(r['control_retention'])}，提升 {fmt.points(r['lift'])}{ci}。")
        else:
            text = (f"Measured on the list of {fmt.date(r['list_date'])} ({r['evaluation_days']}-day window to "
                    f"{fmt.date(r['window_end'])}): {fmt.percent(r['treated_retention'])} of the customers who got an "
                    f"action bought again, against {fmt.percent(r['control_retention'])} of the control group, a "
                    f"lift of {fmt.points(r['lift'])}{ci}.")
        if r.get("lift_ci_low") is not None and r["lift_ci_low"] <= 0 <= r["lift_ci_high"]:
            text += ("置信区间包含 0：目前还无法把效果与偶然波动区分开。" if zh
                     else " The interval includes zero: the effect cannot yet be told from chance.")
        return text
    if first_list is None:
        return "尚未测量：还没有发出过行动名单。" if zh else "Not measured yet: no action list has been issued."
    window_end = first_list + timedelta(days=evaluation_days)
    if zh:
        return (f"尚未测量：第一份行动名单于 {fmt.date(first_list)} 发出，其 {evaluation_days} 天评估期于 "
                f"{fmt.date(window_end)} 结束。")
    return (f"Not measured yet: the first action list was issued on {fmt.date(first_list)}; its {evaluation_days}-day "
            f"window ends on {fmt.date(window_end)}.")


# --- methodology --------------------------------------------------------------------------------------

def _setting(thresholds: dict[str, Any], section: str, key: str, default: Any) -> Any:
    return (thresholds.get(section) or {}).get(key, default)


def methodology(fmt: Formatter, thresholds: dict[str, Any]) -> list[tuple[str, str]]:
    """Short definitions (term, text) with the numbers taken from the settings."""
    s = lambda section, key, default: _setting(thresholds, section, key, default)  # noqa: E731
    lookback, bins = s("rfm", "lookback_days", 730), s("rfm", "bins", 5)
    high_share, low_share = s("rfm", "value_tier_high_share", 0.2), s("rfm", "value_tier_low_share", 0.5)
    segments = len(s("rfm", "segments", []) or []) or 11
    new_days, reactivated_days = s("lifecycle", "new_days", 90), s("lifecycle", "reactivated_days", 90)
    churn_days = s("lifecycle", "churn_days", 365)
    gap, min_days = s("lifecycle", "at_risk_gap_multiplier", 2.0), s("lifecycle", "at_risk_min_days", 60)
    loyal_orders, loyal_days = s("lifecycle", "loyal_min_orders", 5), s("lifecycle", "loyal_min_tenure_days", 365)
    horizon, population = s("churn", "horizon_days", 90), s("churn", "population_days", 365)
    risk_high, risk_medium = s("churn", "risk_high", 0.6), s("churn", "risk_medium", 0.3)
    metric = METRICS[fmt.language].get(s("churn", "selection_metric", "roc_auc"), s("churn", "selection_metric", ""))
    discount = s("clv", "annual_discount_rate", 0.10)
    control = s("actions", "control_share", 0.10)
    evaluation = s("actions", "evaluation_days", horizon)
    full, zero = s("quality", "timeliness_full_score_days", 1), s("quality", "timeliness_zero_score_days", 30)
    p = fmt.percent
    if fmt.language == "zh":
        return [
            ("RFM 细分",
             f"对近 {lookback} 天有完成订单的客户，按最近购买（R）、购买频次（F）、"
             f"消费金额（M）各打 1–{bins} 分（分位数）；按 R 分与 F、M 平均分匹配 "
             f"{segments} 条细分规则，先匹配者生效。价值分层：按消费金额排名，"
             f"前 {p(high_share, 0)} 为高价值，后 {p(low_share, 0)} 为低价值，其余为普通。"),
            ("生命周期阶段",
             f"潜在：尚未成交；新客：首单在 {new_days} 天内；回流：沉寂至少 {churn_days} 天后"
             f"于 {reactivated_days} 天内再次购买；流失：超过 {churn_days} 天未购买；"
             f"风险：沉寂超过平时购买间隔的 {gap} 倍且至少 {min_days} 天；"
             f"忠诚：至少 {loyal_orders} 单且首单已超过 {loyal_days} 天；其余为活跃。"),
            ("流失定义与预测",
             f"某日之后 {horizon} 天内没有完成订单即为流失。"
             f"只对此前 {population} 天内有购买的客户评分。"
             f"候选模型在回测中按 {metric} 比较，持平时更简单的模型优先。"
             f"流失概率 ≥ {p(risk_high, 0)} 为高风险，≥ {p(risk_medium, 0)} 为中风险，"
             f"其余为低风险。风险价值 = 流失概率 × 未来 12 个月 CLV。"),
            ("客户终身价值（CLV）",
             f"BG/NBD 模型预测未来 12 个月的购买次数，Gamma-Gamma 模型预测每次消费金额，"
             f"按年折现率 {p(discount, 0)} 逐月折现后相加。"),
            ("对照组与提升",
             f"行动名单上固定 {p(control, 0)} 的客户（按客户编号哈希抽取）作为对照组，"
             f"不采取行动。名单发出后 {evaluation} 天内，执行组的再购买率减去"
             f"对照组的再购买率即为提升，并给出 95% 置信区间。"),
            ("数据质量评分",
             f"每个数据源的完整性、有效性、唯一性、一致性、及时性得分的简单平均；"
             f"整体评分为四个数据源的简单平均。及时性：最新记录不超过 {full} 天得 1 分，"
             f"{zero} 天及以上得 0 分，中间线性递减。"),
            ("指标口径",
             "关键指标取自最近一个完整月份，完整定义见 analytics.kpi_definitions；"
             "环比为与上月相比，同比为与去年同月相比，比率类指标的变化以百分点表示。"),
        ]
    return [
        ("RFM segments", f"Customers with a completed order in the last {lookback} days get recency (R), frequency (F) "
                         f"and monetary (M) scores of 1–{bins} (quantiles); the first of {segments} segment rules "
                         f"matching the R score and the mean of F and M names the segment. Value tiers by revenue "
                         f"rank: the top {p(high_share, 0)} are high value, the bottom {p(low_share, 0)} low value, "
                         f"the rest normal."),
        ("Lifecycle stages", f"Prospect: no completed order yet; new: first order within {new_days} days; "
                             f"reactivated: bought again within {reactivated_days} days after at least {churn_days} "
                             f"days of silence; churned: no purchase for more than {churn_days} days; at risk: silent "
                             f"for longer than {gap} × the usual gap between purchases and at least {min_days} days; "
                             f"loyal: at least {loyal_orders} orders and {loyal_days} days since the first; active: "
                             f"everyone else."),
        ("Churn definition and prediction", f"A customer churns when they make no completed purchase in the "
                                            f"{horizon} days after a date. Only customers who bought in the "
                                            f"{population} days before are scored. Candidate models are compared on "
                                            f"the backtest by {metric}; on a tie the simpler model wins. Risk tiers: "
                                            f"high at a churn probability of {p(risk_high, 0)} or more, medium from "
                                            f"{p(risk_medium, 0)}, low below. Value at risk = churn probability × "
                                            f"12-month CLV."),
        ("Customer lifetime value (CLV)", f"A BG/NBD model predicts each customer's purchases in the next 12 months "
                                          f"and a Gamma-Gamma model the spend per purchase; the monthly values are "
                                          f"discounted at {p(discount, 0)} a year and added up."),
        ("Control group and lift", f"A fixed {p(control, 0)} of the customers on each action list (drawn by a hash "
                                   f"of the customer id) get no action. Lift = the share of treated customers buying "
                                   f"again within {evaluation} days of the list date minus that of the control "
                                   f"group, with a 95% confidence interval."),
        ("Data-quality score", f"For each source the simple mean of its completeness, validity, uniqueness, "
                               f"consistency and timeliness scores; the overall score is the simple mean over the "
                               f"four sources. Timeliness scores 1 when the newest record is at most {full} day(s) "
                               f"old, falling linearly to 0 at {zero} days."),
        ("KPIs", "Key figures are those of the last complete month; analytics.kpi_definitions holds the full "
                 "definitions. Changes are against the previous month and the same month last year; changes of "
                 "rates are in percentage points."),
    ]
