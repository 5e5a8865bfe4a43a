"""The candidate churn models, each turning a customer's features into a calibrated churn probability.

- ``recency_rule``: the longer since the last purchase, the likelier the churn. The one feature is
  mapped to a probability by a logistic curve on log(1 + days) fitted on the training rows.
- ``bgnbd_score``: the fewer purchases the BG/NBD model expects in the horizon, the likelier the
  churn; mapped to a probability the same way.
- ``logistic_regression``: every available feature, sign-preserving log(1 + |x|), missing values
  replaced by the training median (plus a "was missing" indicator), standardised, L2-regularised.
- ``gradient_boosting``: scikit-learn's HistGradientBoostingClassifier on the raw features
  (missing values handled natively), probabilities calibrated with Platt scaling on 3-fold
  cross-validated predictions.

All are deterministic: fixed seeds, no shuffling, a single thread-independent fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

CANDIDATES = ("recency_rule", "bgnbd_score", "logistic_regression", "gradient_boosting")
BASELINES = ("recency_rule", "bgnbd_score")
RULE_FEATURE = {"recency_rule": "days_since_last_purchase", "bgnbd_score": "bgnbd_expected_purchases"}


def signed_log1p(x: np.ndarray) -> np.ndarray:
    """log(1 + |x|) with the sign of x: tames long-tailed counts and money for linear models."""
    return np.sign(x) * np.log1p(np.abs(x))


def _estimator(name: str, seed: int):
    if name in BASELINES:
        return make_pipeline(FunctionTransformer(signed_log1p), LogisticRegression(C=1e4, max_iter=1000))
    if name == "logistic_regression":
        return make_pipeline(FunctionTransformer(signed_log1p), SimpleImputer(strategy="median", add_indicator=True),
                             StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    if name == "gradient_boosting":
        booster = HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=200, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
            early_stopping=False, random_state=seed)
        return CalibratedClassifierCV(booster, method="sigmoid", cv=StratifiedKFold(n_splits=3), ensemble=False)
    raise ValueError(f"unknown churn model {name!r}; choose one of {CANDIDATES}")


def candidate_features(name: str, available: list[str]) -> list[str] | None:
    """The features a candidate uses given the available ones (None: the candidate cannot run)."""
    if name in RULE_FEATURE:
        return [RULE_FEATURE[name]] if RULE_FEATURE[name] in available else None
    return list(available)


def feature_matrix(frame: pl.DataFrame, features: list[str]) -> np.ndarray:
    """The features as a float matrix, missing values as NaN."""
    return frame.select([pl.col(f).cast(pl.Float64) for f in features]).to_numpy().astype(float)


@dataclass
class FittedChurnModel:
    """A trained candidate: its name, the features it reads (in order) and the fitted estimator."""

    name: str
    features: list[str]
    estimator: object
    training_rows: int = 0
    training_churn_rate: float = float("nan")
    reference_values: dict[str, float] = field(default_factory=dict)

    def predict(self, frame: pl.DataFrame) -> np.ndarray:
        """Churn probability (0–1) for every row of a feature frame."""
        if frame.height == 0:
            return np.zeros(0)
        return self.predict_matrix(feature_matrix(frame, self.features))

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Churn probability for a feature matrix whose columns are ``features``."""
        with threadpool_limits(limits=1, user_api="openmp"):
            return self.estimator.predict_proba(matrix)[:, 1]


def training_sample(frame: pl.DataFrame, max_rows: int, seed: int) -> pl.DataFrame:
    """At most max_rows training rows, a seeded random sample when there are more (keeps a
    million-customer fit within minutes; the ranking of customers barely changes beyond ~200k)."""
    if frame.height <= max_rows:
        return frame
    return frame.sample(n=max_rows, seed=seed, shuffle=False).sort("customer_id")


def reference_values(frame: pl.DataFrame, features: list[str]) -> dict[str, float]:
    """A typical retained customer: the median of each feature among training rows that bought again.
    Reasons compare a customer with this profile."""
    kept = frame.filter(pl.col("churned") == 0)
    if kept.height == 0:
        kept = frame
    medians = kept.select([pl.col(f).cast(pl.Float64).median().alias(f) for f in features]).row(0)
    return {f: (float(v) if v is not None else float("nan")) for f, v in zip(features, medians, strict=True)}


def fit_candidate(name: str, training: pl.DataFrame, available: list[str], seed: int) -> FittedChurnModel | None:
    """Fit one candidate on labelled rows (column ``churned``); None when it cannot run here."""
    features = candidate_features(name, available)
    if not features:
        return None
    estimator = _estimator(name, seed)
    y = training["churned"].to_numpy().astype(int)
    # One OpenMP thread: on a busy 2-core machine the gradient-boosting threads spin against DuckDB's and
    # a fit runs ~30x slower with two threads than with one.
    with threadpool_limits(limits=1, user_api="openmp"):
        estimator.fit(feature_matrix(training, features), y)
    return FittedChurnModel(name=name, features=features, estimator=estimator, training_rows=training.height,
                            training_churn_rate=float(y.mean()),
                            reference_values=reference_values(training, features))


def coefficients(model: FittedChurnModel) -> list[tuple[str, float]]:
    """Standardised coefficients of the logistic regression (empty for other models), for the model card."""
    if not isinstance(model.estimator, Pipeline) or model.name != "logistic_regression":
        return []
    lr = model.estimator[-1]
    imputer = model.estimator[1]
    names = list(model.features)
    if imputer.indicator_ is not None:
        names += [f"{model.features[i]} missing" for i in imputer.indicator_.features_]
    return sorted(zip(names, lr.coef_[0].tolist(), strict=True), key=lambda item: -abs(item[1]))
