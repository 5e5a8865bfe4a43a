"""How well a churn score separates churners from customers who bought again: the four numbers the
backtest reports for every candidate model."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

# +1: higher is better, −1: lower is better
METRIC_DIRECTIONS = {"roc_auc": 1, "pr_auc": 1, "brier_score": -1, "top_decile_lift": 1}


def rank_order(probability: np.ndarray, tie_break: np.ndarray) -> np.ndarray:
    """Row positions from the highest to the lowest probability; ties in a stable, data-defined order."""
    return np.lexsort((tie_break, -np.asarray(probability, dtype=float)))


def top_decile_lift(y: np.ndarray, probability: np.ndarray, tie_break: np.ndarray) -> float:
    """Churn rate among the 10% of customers with the highest predicted risk ÷ the overall churn rate.
    2.0 means the top tenth holds twice as many churners as a random tenth."""
    y = np.asarray(y, dtype=float)
    base = y.mean() if y.size else 0.0
    if base == 0:
        return float("nan")
    top = rank_order(probability, tie_break)[: max(1, int(np.ceil(0.1 * y.size)))]
    return float(y[top].mean() / base)


def churn_metrics(y: np.ndarray, probability: np.ndarray, tie_break: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score and top-decile lift of predicted churn
    probabilities against what happened (1 = churned). NaN when only one outcome occurred."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(probability, dtype=float)
    both = 0 < y.sum() < y.size
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier_score": float(brier_score_loss(y, p)) if y.size else float("nan"),
        "top_decile_lift": top_decile_lift(y, p, tie_break),
    }


def better(metric: str, a: float, b: float) -> bool:
    """True when value a is strictly better than value b for the metric (NaN is never better)."""
    if np.isnan(a):
        return False
    if np.isnan(b):
        return True
    return a * METRIC_DIRECTIONS[metric] > b * METRIC_DIRECTIONS[metric]


def calibration_by_decile(y: np.ndarray, probability: np.ndarray, tie_break: np.ndarray) -> list[dict]:
    """Customers split into ten equal groups by predicted probability (1 = lowest risk): the mean
    predicted probability and the churn rate actually observed in each."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(probability, dtype=float)
    order = rank_order(p, tie_break)[::-1]  # lowest risk first
    rows = []
    for decile, idx in enumerate(np.array_split(order, 10), start=1):
        if idx.size == 0:
            continue
        rows.append({"decile": decile, "customers": int(idx.size),
                     "mean_predicted": float(p[idx].mean()), "actual_churn_rate": float(y[idx].mean()),
                     "min_predicted": float(p[idx].min()), "max_predicted": float(p[idx].max())})
    return rows
