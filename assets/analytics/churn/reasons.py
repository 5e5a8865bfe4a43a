"""Why a customer's churn risk is high, in words an account manager can repeat on the phone.

Each reason covers a few related features. Its weight for one customer is how much the model's
probability falls when those features are replaced by the values of a typical retained customer
(the training median among customers who bought again). The three reasons with the largest
positive weight are reported, each as a sentence with the customer's own numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.analytics.churn.models import FittedChurnModel, feature_matrix

TOP_REASONS = 3


def _number(name: str) -> pl.Expr:
    """The column as a float; NaN and infinity read as unknown (null)."""
    x = pl.col(name).cast(pl.Float64)
    return pl.when(x.is_finite()).then(x)


def _int(name: str) -> pl.Expr:
    return _number(name).round(0).cast(pl.Int64, strict=False).cast(pl.Utf8)


def _decimal(name: str) -> pl.Expr:
    return _number(name).round(1).cast(pl.Utf8)


def _pct(name: str) -> pl.Expr:
    return (_number(name) * 100).round(0).cast(pl.Int64, strict=False).cast(pl.Utf8) + pl.lit("%")


def _money(name: str) -> pl.Expr:
    return pl.lit("¥") + _number(name).round(0).cast(pl.Int64, strict=False).cast(pl.Utf8)


def _has(name: str, frame: pl.DataFrame) -> bool:
    return name in frame.columns


@dataclass(frozen=True)
class Reason:
    """A reason: its code, the features it stands for, and how to say it in English and Chinese."""

    code: str
    features: tuple[str, ...]
    text: Callable[[pl.DataFrame, int, int], tuple[pl.Expr, pl.Expr]]


def _silence(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    gap = pl.col("mean_gap_days").is_not_null() if _has("mean_gap_days", frame) else pl.lit(False)
    d = _int("days_since_last_purchase")
    g = _int("mean_gap_days") if _has("mean_gap_days", frame) else pl.lit("")
    en = pl.when(gap).then(pl.format("No purchase for {} days, usually buys every {} days", d, g)) \
        .otherwise(pl.format("No purchase for {} days", d))
    zh = pl.when(gap).then(pl.format("已 {} 天未下单，平时约每 {} 天下单一次", d, g)) \
        .otherwise(pl.format("已 {} 天未下单", d))
    return en, zh


def _spend(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    r, p = _money("spend_recent"), _money("spend_previous")
    return (pl.format("Spent {} in the last {} days, {} in the {} days before", r, pl.lit(str(days)), p,
                      pl.lit(str(days))),
            pl.format("近 {} 天消费 {}，此前 {} 天为 {}", pl.lit(str(days)), r, pl.lit(str(days)), p))


def _history(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    n, t = _int("purchase_days"), _int("tenure_days")
    return (pl.format("Bought on only {} day(s) in {} days as a customer", n, t),
            pl.format("成为客户 {} 天，仅在 {} 天有购买", t, n))


def _range(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    n = _int("category_count")
    return (pl.format("Buys from {} product categories only", n), pl.format("仅购买 {} 个品类", n))


def _pattern(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    n, d = _int("purchase_days"), _int("days_since_last_purchase")
    quiet = _pct("bgnbd_p_no_purchase") if _has("bgnbd_p_no_purchase", frame) else pl.lit(None, dtype=pl.Utf8)
    return (pl.format("Bought on {} day(s), last {} days ago: the purchase model puts the chance of no purchase in "
                      "the next {} days at {}", n, d, pl.lit(str(horizon)), quiet),
            pl.format("共在 {} 天下单，最近一次在 {} 天前：按购买模型，未来 {} 天不再购买的概率为 {}", n, d,
                      pl.lit(str(horizon)), quiet))


def _pace(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    last, longest = _int("last_gap_days"), _int("longest_gap_days")
    change = _decimal("recent_vs_usual_purchases")
    return (pl.format("Purchase days in the last {} days against the customer's usual pace: {}, last gap between "
                      "purchases {} days (longest {})", pl.lit(str(days)), change, last, longest),
            pl.format("近 {} 天购买天数与平时节奏相比：{}，最近两次购买相隔 {} 天（最长 {} 天）",
                      pl.lit(str(days)), change, last, longest))


def _contact(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    r, p = _int("interactions_recent"), _int("interactions_previous")
    last = pl.col("days_since_last_contact")
    en = pl.when(last.is_null()).then(pl.lit("No contact with this customer on record")).otherwise(
        pl.format("{} contact(s) in the last {} days (was {}), last contact {} days ago", r, pl.lit(str(days)), p,
                  _int("days_since_last_contact")))
    zh = pl.when(last.is_null()).then(pl.lit("没有与该客户的联系记录")).otherwise(
        pl.format("近 {} 天联系 {} 次（此前 {} 次），上次联系在 {} 天前", pl.lit(str(days)), r, p,
                  _int("days_since_last_contact")))
    return en, zh


def _complaints(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    tickets, r, t = _int("tickets_recent"), _int("complaints_recent"), _int("complaints_total")
    return (pl.format("{} service ticket(s) in the last {} days, {} of them complaints ({} complaints in total)",
                      tickets, pl.lit(str(days)), r, t),
            pl.format("近 {} 天服务工单 {} 张，其中投诉 {} 张（累计投诉 {} 次）", pl.lit(str(days)), tickets, r, t))


def _csat(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    x = pl.col("mean_csat").cast(pl.Float64).round(1).cast(pl.Utf8)
    missing = pl.col("mean_csat").is_null()
    return (pl.when(missing).then(pl.lit("No satisfaction rating in the last year"))
            .otherwise(pl.format("Satisfaction rating {}/5 over the last year", x)),
            pl.when(missing).then(pl.lit("近一年没有满意度评分")).otherwise(pl.format("近一年满意度 {}/5", x)))


def _nps(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    missing = pl.col("last_nps").is_null()
    x = _int("last_nps")
    return (pl.when(missing).then(pl.lit("Never answered the NPS survey"))
            .otherwise(pl.format("Last NPS answer {}/10", x)),
            pl.when(missing).then(pl.lit("未参与 NPS 调查")).otherwise(pl.format("最近一次 NPS 评分 {}/10", x)))


def _email(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    unsub = pl.col("unsubscribed") == 1
    r = pl.when(pl.col("open_rate_recent").is_null()).then(pl.lit("0%")).otherwise(_pct("open_rate_recent"))
    p = pl.when(pl.col("open_rate_previous").is_null()).then(pl.lit("0%")).otherwise(_pct("open_rate_previous"))
    return (pl.when(unsub).then(pl.lit("Unsubscribed from marketing e-mails"))
            .otherwise(pl.format("Opened {} of e-mails in the last {} days (was {})", r, pl.lit(str(days)), p)),
            pl.when(unsub).then(pl.lit("已退订营销邮件"))
            .otherwise(pl.format("近 {} 天邮件打开率 {}（此前 {}）", pl.lit(str(days)), r, p)))


def _opportunities(frame: pl.DataFrame, days: int, horizon: int) -> tuple[pl.Expr, pl.Expr]:
    n = _int("open_opportunities")
    none = pl.col("open_opportunities") == 0
    return (pl.when(none).then(pl.lit("No open sales opportunity"))
            .otherwise(pl.format("{} open opportunity(ies) worth {}", n, _money("open_opportunity_value"))),
            pl.when(none).then(pl.lit("没有进行中的商机"))
            .otherwise(pl.format("{} 个进行中的商机，金额 {}", n, _money("open_opportunity_value"))))


REASONS: tuple[Reason, ...] = (
    Reason("long_silence", ("days_since_last_purchase", "overdue_ratio", "mean_gap_days",
                            "days_since_last_order_any_status"), _silence),
    Reason("spend_change", ("spend_recent", "spend_previous", "spend_trend", "orders_recent", "orders_previous",
                            "order_trend"), _spend),
    Reason("short_history", ("purchase_days", "orders_total", "tenure_days", "revenue_total", "avg_order_value",
                             "order_days_any_status"), _history),
    Reason("narrow_range", ("category_count",), _range),
    Reason("slower_pace", ("recent_vs_usual_purchases", "last_gap_days", "longest_gap_days"), _pace),
    Reason("buying_pattern", ("bgnbd_expected_purchases", "bgnbd_p_alive", "bgnbd_p_no_purchase"), _pattern),
    Reason("less_contact", ("interactions_recent", "interactions_previous", "interaction_trend",
                            "days_since_last_contact"), _contact),
    Reason("complaints", ("tickets_recent", "complaints_recent", "complaints_previous", "complaints_total"),
           _complaints),
    Reason("low_satisfaction", ("mean_csat",), _csat),
    Reason("nps", ("last_nps",), _nps),
    Reason("email_disengaged", ("emails_delivered_recent", "open_rate_recent", "open_rate_previous",
                                "open_rate_trend", "click_rate_recent", "unsubscribed"), _email),
    Reason("no_opportunity", ("open_opportunities", "open_opportunity_value", "won_opportunities_year",
                              "won_opportunity_value", "lost_opportunities_year"), _opportunities),
)


def reason_contributions(model: FittedChurnModel, frame: pl.DataFrame) -> np.ndarray:
    """For each row and reason: predicted probability minus the probability with that reason's
    features set to the typical retained customer's values (0 for reasons the model does not use)."""
    matrix = feature_matrix(frame, model.features)
    if matrix.shape[0] == 0:
        return np.zeros((0, len(REASONS)))
    base = model.predict_matrix(matrix)
    out = np.zeros((matrix.shape[0], len(REASONS)))
    for k, reason in enumerate(REASONS):
        columns = [i for i, f in enumerate(model.features) if f in reason.features]
        if not columns:
            continue
        changed = matrix.copy()
        for i in columns:
            changed[:, i] = model.reference_values.get(model.features[i], np.nan)
        out[:, k] = base - model.predict_matrix(changed)
    return out


def _picked(j: int, usable: list[int], value: Callable[[int], pl.Expr]) -> pl.Expr:
    """The value of the reason ranked j-th for each row (null when that rank is not reported)."""
    chain = None
    for position, k in enumerate(usable):
        code = REASONS[k].code
        condition = (pl.col(f"_keep{j}") & (pl.col(f"_rank{j}") == position)
                     & pl.col(f"{code}_en").is_not_null() & pl.col(f"{code}_zh").is_not_null())
        chain = pl.when(condition).then(value(k)) if chain is None else chain.when(condition).then(value(k))
    return chain.otherwise(pl.lit(None, dtype=pl.Utf8))


def top_reasons(model: FittedChurnModel, frame: pl.DataFrame, trend_days: int,
                min_contribution: float) -> pl.DataFrame:
    """customer_id, top_reasons (English), top_reasons_zh and top_reason_codes: the up to three
    reasons raising this customer's risk most, strongest first, joined with '; '. Every text column
    is built by Polars from Polars columns (no object arrays), so any mix of missing reasons works."""
    schema = {"customer_id": pl.Utf8, "top_reasons": pl.Utf8, "top_reasons_zh": pl.Utf8, "top_reason_codes": pl.Utf8}
    usable = [k for k, r in enumerate(REASONS) if any(f in model.features for f in r.features)]
    if frame.height == 0 or not usable:
        return frame.select(pl.col("customer_id").cast(pl.Utf8)).with_columns(
            [pl.lit(None, dtype=pl.Utf8).alias(c) for c in list(schema)[1:]])
    horizon = model.label_horizon_days or model.horizon_days or trend_days
    weights = reason_contributions(model, frame)[:, usable]
    # strongest first; equal weights keep the REASONS order so the output is stable
    order = np.argsort(-np.nan_to_num(weights, nan=-np.inf), axis=1, kind="stable")[:, :TOP_REASONS]
    strongest = np.take_along_axis(weights, order, axis=1)
    ranks = {f"_rank{j}": pl.Series(order[:, j], dtype=pl.Int64) for j in range(order.shape[1])}
    keeps = {f"_keep{j}": pl.Series(np.nan_to_num(strongest[:, j], nan=-np.inf) >= min_contribution,
                                    dtype=pl.Boolean) for j in range(order.shape[1])}
    texts = frame.select([pl.col("customer_id").cast(pl.Utf8)] + [
        e.alias(f"{REASONS[k].code}_{lang}") for k in usable
        for lang, e in zip(("en", "zh"), REASONS[k].text(frame, trend_days, horizon), strict=True)])
    table = texts.with_columns(**ranks, **keeps)
    ranked = range(order.shape[1])
    return table.select(
        "customer_id",
        pl.concat_str([_picked(j, usable, lambda k: pl.col(f"{REASONS[k].code}_en")) for j in ranked],
                      separator="; ", ignore_nulls=True).alias("top_reasons"),
        pl.concat_str([_picked(j, usable, lambda k: pl.col(f"{REASONS[k].code}_zh")) for j in ranked],
                      separator="；", ignore_nulls=True).alias("top_reasons_zh"),
        pl.concat_str([_picked(j, usable, lambda k: pl.lit(REASONS[k].code)) for j in ranked],
                      separator=",", ignore_nulls=True).alias("top_reason_codes"),
    ).with_columns(pl.col(c).replace("", None) for c in list(schema)[1:])
