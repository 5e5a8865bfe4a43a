"""CLV predictions from the customer summary: the BG/NBD and Gamma-Gamma fits (``model.py``), the
fallbacks used when a model cannot be fitted, and the fit status in English and Chinese."""

import json
import re
from typing import TYPE_CHECKING

import numpy as np

from assets.analytics.clv.settings import ClvSettings
from assets.common.status import DEGRADED, AssetStatus, ok_status

if TYPE_CHECKING:
    from assets.analytics.clv.model import FitResult

TIME_UNIT = "week"
DAYS_PER_UNIT = 7.0
MONTH_IN_UNITS = 365.25 / 12 / DAYS_PER_UNIT  # one average month (30.4375 days) in weeks
HORIZON_MONTHS = 12
BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")


def _param_rows(model: str, names: tuple[str, ...], fit: "FitResult | None", status: str) -> list[dict]:
    return [{
        "model": model, "parameter": name,
        "value": fit.params.get(name) if fit is not None and fit.success else None,
        "time_unit": TIME_UNIT, "n_customers": fit.n_customers if fit is not None else 0,
        "log_likelihood": fit.log_likelihood if fit is not None and fit.success else None,
        "status": status,
    } for name in names]


FALLBACK_PRIOR_PURCHASES = 1.0  # the fallback purchase rate counts the population rate as one purchase's worth


def fallback_purchase_rate(x: np.ndarray, big_t: np.ndarray) -> tuple[np.ndarray, float]:
    """Repeat purchases per week when BG/NBD cannot be fitted: each customer's own repeat rate,
    pulled towards the population rate (total repeat purchases ÷ total weeks as a customer) by a prior
    worth one purchase, i.e. (x + 1) ÷ (T + 1 ÷ population rate): the Gamma-Poisson model without
    drop-out. All zero when nobody has repeated or the data span one day (no rate can be measured)."""
    exposure = float(big_t.sum())
    population = float(x.sum()) / exposure if exposure > 0 else 0.0
    if population <= 0:
        return np.zeros_like(x), 0.0
    return (x + FALLBACK_PRIOR_PURCHASES) / (big_t + FALLBACK_PRIOR_PURCHASES / population), population


def fallback_spend(x: np.ndarray, zbar: np.ndarray, first_spend: np.ndarray) -> tuple[np.ndarray, float]:
    """Spend per future purchase day when Gamma-Gamma cannot be fitted: the customer's own mean over
    all their purchase days when positive, else the mean of those positive means, else 0 (refunds
    and zero-value orders never make a value negative)."""
    own = np.where(x > 0, (first_spend + x * zbar) / (x + 1.0), first_spend)
    own = np.where(np.isfinite(own), own, 0.0)
    positive = own[own > 0]
    population = float(positive.mean()) if positive.size else 0.0
    return np.where(own > 0, own, population), population


def _discounted_monthly(rate_per_unit: np.ndarray, settings: ClvSettings) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchases over the 12 months and their discounted sum at a constant rate."""
    per_month = rate_per_unit * MONTH_IN_UNITS
    discount = (1.0 + settings.monthly_discount_rate) ** -np.arange(1, HORIZON_MONTHS + 1)
    return per_month * HORIZON_MONTHS, per_month * discount.sum()


def _fit_status(fit: "FitResult | None", not_fitted: str | None) -> str:
    if not_fitted:
        return not_fitted
    return "ok" if fit is not None and fit.success else f"fit failed: {fit.message if fit else 'not run'}"


def clv_predictions(summary: dict[str, np.ndarray], settings: ClvSettings) -> tuple[dict, dict[str, str], list]:
    """p_alive, expected purchases, expected spend and 12-month CLV for every customer, the fit status
    of each model and the fitted/fallback parameter rows. Every CLV is finite and ≥ 0: a model that
    cannot be fitted is replaced by its fallback (fallback_purchase_rate, fallback_spend)."""
    from assets.analytics.clv.model import (
        bgnbd_p_alive,
        discounted_purchases,
        fit_bgnbd,
        fit_gamma_gamma,
        gamma_gamma_expected_spend,
    )

    x, zbar = summary["x"], summary["zbar"]
    t_x, big_t = summary["t_x"], summary["big_t"]
    n, n_repeat = int(x.size), int((x > 0).sum())
    n_repeat_spend = int(((x > 0) & (zbar > 0)).sum())
    if n < settings.min_customers:
        bg_reason = f"not fitted: {n} buying customers < clv.min_customers = {settings.min_customers}"
    elif n_repeat < settings.min_repeat_customers:
        bg_reason = (f"not fitted: {n_repeat} repeat customers < clv.min_repeat_customers = "
                     f"{settings.min_repeat_customers}")
    elif not (big_t > 0).any():
        bg_reason = "not fitted: every customer first bought on the as-of date (no time to measure a rate)"
    else:
        bg_reason = None
    bg_fit = fit_bgnbd(x, t_x, big_t) if bg_reason is None else None
    gg_reason = None if n_repeat_spend >= max(settings.min_repeat_customers, 1) else (
        f"not fitted: {n_repeat_spend} repeat customers with spend > 0 < clv.min_repeat_customers = "
        f"{settings.min_repeat_customers}")
    gg_fit = fit_gamma_gamma(x, zbar) if gg_reason is None else None
    status = {"bg_nbd": _fit_status(bg_fit, bg_reason), "gamma_gamma": _fit_status(gg_fit, gg_reason)}

    spend, population_spend = fallback_spend(x, zbar, summary["first_spend"])
    if status["gamma_gamma"] == "ok":
        spend = gamma_gamma_expected_spend(gg_fit.params, x, zbar)
    rate, population_rate = fallback_purchase_rate(x, big_t)
    expected, discounted = _discounted_monthly(rate, settings)
    p_alive = np.full(n, np.nan)
    if status["bg_nbd"] == "ok" and n:
        bg_expected, bg_discounted = discounted_purchases(bg_fit.params, x, t_x, big_t, MONTH_IN_UNITS,
                                                          HORIZON_MONTHS, settings.monthly_discount_rate)
        good = np.isfinite(bg_expected) & np.isfinite(bg_discounted)  # a row the fit cannot score keeps its fallback
        p_alive = np.where(good, bgnbd_p_alive(bg_fit.params, x, t_x, big_t), np.nan)
        expected = np.where(good, bg_expected, expected)
        discounted = np.where(good, bg_discounted, discounted)
    clv = np.maximum(np.nan_to_num(discounted * np.maximum(spend, 0.0), nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    params = (_param_rows("bg_nbd", BGNBD_PARAMETERS, bg_fit, status["bg_nbd"])
              + _param_rows("gamma_gamma", GAMMA_GAMMA_PARAMETERS, gg_fit, status["gamma_gamma"]))
    if status["bg_nbd"] != "ok":
        params.append({"model": "fallback", "parameter": "population_repeat_rate", "value": population_rate,
                       "time_unit": TIME_UNIT, "n_customers": n, "log_likelihood": None,
                       "status": "repeat purchases per week used instead of BG/NBD"})
    if status["gamma_gamma"] != "ok":
        params.append({"model": "fallback", "parameter": "population_mean_spend", "value": population_spend,
                       "time_unit": "CNY", "n_customers": n, "log_likelihood": None,
                       "status": "spend per purchase day used instead of Gamma-Gamma"})
    return ({"p_alive": p_alive, "expected_purchases": expected, "expected_spend": spend, "clv": clv},
            status, params)


_STATUS_IN_CHINESE = (
    (re.compile(r"not fitted: (\d+) buying customers < (\S+) = (\d+)"),
     r"购买客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: (\d+) repeat customers with spend > 0 < (\S+) = (\d+)"),
     r"金额为正的回购客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: (\d+) repeat customers < (\S+) = (\d+)"),
     r"回购客户仅 \1 位，少于 \2 = \3，未拟合"),
    (re.compile(r"not fitted: every customer first bought on the as-of date.*"),
     "所有客户都在截止日当天首次购买，无法估计购买频率，未拟合"),
    (re.compile(r"fit failed: parameter\(s\) ran off to 0 or infinity: (.*)"),
     r"拟合失败：参数 \1 趋于 0 或无穷大，数据无法确定该模型"),
    (re.compile(r"fit failed: (.*)", re.DOTALL), r"拟合失败（优化器信息：\1）"),
)


def status_in_chinese(status: str) -> str:
    """The Chinese wording of a model's fit status (``clv_predictions``); unknown texts unchanged."""
    for pattern, wording in _STATUS_IN_CHINESE:
        if pattern.fullmatch(status):
            return pattern.sub(wording, status)
    return status


def clv_status(status: dict[str, str], asset: str = "analytics/clv") -> AssetStatus:
    """ok when both models were fitted, else degraded with the fallbacks named, in English and Chinese."""
    if status["bg_nbd"] == "ok" and status["gamma_gamma"] == "ok":
        return ok_status(asset)
    en, zh = [], []
    if status["bg_nbd"] != "ok":
        en.append(f"BG/NBD {status['bg_nbd']}; expected purchases are each customer's own repeat rate pulled "
                  "towards the average, with no drop-out (p_alive is empty)")
        zh.append(f"BG/NBD 未能使用（{status_in_chinese(status['bg_nbd'])}）；"
                  "预计购买次数按客户自身回购频率并向平均值收缩估算，不考虑流失（p_alive 为空）")
    if status["gamma_gamma"] != "ok":
        en.append(f"Gamma-Gamma {status['gamma_gamma']}; spend per purchase is the customer's own average "
                  "(the overall average when it is not positive)")
        zh.append(f"Gamma-Gamma 未能使用（{status_in_chinese(status['gamma_gamma'])}）；每次购买金额采用客户自身平均值"
                  "（不为正时采用整体平均值）")
    return AssetStatus(asset, DEGRADED, "CLV built with fallbacks: " + ". ".join(en) + ".",
                       "客户价值使用了替代估算：" + "；".join(zh) + "。", detail=json.dumps(status, ensure_ascii=False))
