"""The churn backtest, model choice and scoring, as one plain function on a DuckDB connection.

Rolling origin, H = ``churn.horizon_days``, h = the label horizon (H when the history allows it):

- backtest test cutoff c1 = as-of − h: candidates score the customers at c1 and are judged on what
  happened in (c1, as-of], a window none of them saw;
- backtest training cutoffs c1 − h, c1 − 2h, ... (up to ``training_cutoffs``, each with at least
  ``min_history_days`` of purchases before it): their rows are stacked into one training set, each
  labelled by the h days after its cutoff, all before c1;
- the winner is re-trained the same way on the cutoffs c1, c1 − h, ... (the newest complete
  windows) and scores every customer at the as-of date.

When the history is too short for two H-day windows, h is shortened so that a few cutoffs fit, and
the probabilities are moved to the H-day horizon with the BG/NBD purchase model. When nothing can
be learnt (too little history, too few customers, one outcome only) a label-free fallback ships:
BG/NBD's probability of no purchase in H days, else the purchase-gap rule. Either way the run says
why, in English and Chinese (``ChurnRun.health``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from assets.analytics.churn.features import (
    BGNBD_FEATURES,
    PurchaseModel,
    available_groups,
    build_features,
    feature_columns,
    fit_purchase_model,
)
from assets.analytics.churn.metrics import METRIC_DIRECTIONS, better, calibration_by_decile, churn_metrics
from assets.analytics.churn.models import (
    BASELINES,
    CANDIDATES,
    FittedChurnModel,
    feature_matrix,
    fit_candidate,
    label_free_model,
    training_sample,
)
from assets.analytics.churn.reasons import top_reasons
from assets.analytics.churn.settings import ChurnSettings
from assets.common.sql import SqlFolder
from assets.common.status import DEGRADED, OK

SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class TrainingPlan:
    """The dates the models learn from and are judged on. ``label_horizon_days`` = 0 means there is
    no labelled window at all; cutoffs are listed newest first."""

    as_of: date
    horizon_days: int
    label_horizon_days: int
    history_days: int
    backtest_cutoffs: tuple[date, ...] = ()
    shipped_cutoffs: tuple[date, ...] = ()

    @property
    def test_cutoff(self) -> date | None:
        return self.as_of - timedelta(days=self.label_horizon_days) if self.label_horizon_days else None

    @property
    def learnable(self) -> bool:
        return bool(self.backtest_cutoffs)

    @property
    def shortened(self) -> bool:
        return 0 < self.label_horizon_days < self.horizon_days


SHORTENED_WINDOWS = 3  # a shortened horizon is chosen so that this many training windows fit: several
# stacked windows of a shorter horizon taught more than one long window on the short benchmark history


def _cutoffs(newest: date, step: int, earliest: date, count: int) -> tuple[date, ...]:
    return tuple(d for d in (newest - timedelta(days=step * k) for k in range(count)) if d >= earliest)


def plan_training(data_start: date | None, as_of: date, settings: ChurnSettings) -> list[TrainingPlan]:
    """The plans worth trying, best first: the requested horizon when the history holds a test window
    and at least one training window before it (each after ``min_history_days`` of purchases); then a
    shortened horizon fitting a few training windows when that stacks more of them. A plan without
    labelled windows when neither fits; nothing when nobody bought by the as-of date."""
    if data_start is None or data_start > as_of:
        return []
    history = (as_of - data_start).days
    earliest = data_start + timedelta(days=settings.min_history_days)

    def plan(h: int) -> TrainingPlan:
        c1 = as_of - timedelta(days=h)
        return TrainingPlan(as_of, settings.horizon_days, h, history,
                            _cutoffs(c1 - timedelta(days=h), h, earliest, settings.training_cutoffs),
                            _cutoffs(c1, h, earliest, settings.training_cutoffs))

    plans = [p for p in (plan(settings.horizon_days),) if p.learnable]
    usable = history - settings.min_history_days
    for windows in range(min(SHORTENED_WINDOWS, settings.training_cutoffs), 0, -1):
        h = min(usable // (windows + 1), settings.horizon_days - 1)
        if h >= settings.min_label_horizon_days:
            shortened = plan(h)
            if not plans or len(shortened.backtest_cutoffs) > len(plans[0].backtest_cutoffs):
                plans.append(shortened)
            break
    return plans or [TrainingPlan(as_of, settings.horizon_days, 0, history)]


@dataclass(frozen=True)
class Health:
    """How the run went: ok or degraded, said in English and Chinese."""

    state: str
    message_en: str
    message_zh: str


@dataclass
class ChurnRun:
    """Everything one run produces: the plan, metrics per model, the shipped model, scores,
    diagnostics and how the run went."""

    plan: TrainingPlan
    health: Health
    features: list[str] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)
    shipped: FittedChurnModel | None = None
    scores: pl.DataFrame | None = None
    calibration: list[dict] = field(default_factory=list)
    purchase_forecast: list[dict] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.health.message_en


def _enough(frame: pl.DataFrame, settings: ChurnSettings) -> tuple[str, str] | None:
    """Why a labelled frame is too small to learn from, in English and Chinese (None when fine)."""
    churners = int(frame["churned"].sum()) if frame.height else 0
    stayers = frame.height - churners
    if frame.height < settings.min_training_customers:
        return (f"{frame.height} labelled customers < churn.min_training_customers = "
                f"{settings.min_training_customers}",
                f"有结果的客户 {frame.height} 个，少于 churn.min_training_customers = "
                f"{settings.min_training_customers}")
    if min(churners, stayers) < settings.min_churners:
        return (f"{churners} churners and {stayers} returning customers, each must be ≥ churn.min_churners = "
                f"{settings.min_churners}",
                f"流失客户 {churners} 个、回购客户 {stayers} 个，两者都须 ≥ churn.min_churners = "
                f"{settings.min_churners}")
    return None


def select_model(metrics: list[dict], metric: str) -> str | None:
    """The candidate with the best backtest value of the metric; ties go to the earlier (simpler)
    candidate in CANDIDATES order, so a baseline ships unless a model beats it."""
    best: tuple[str, float] | None = None
    for name in CANDIDATES:
        values = [m["value"] for m in metrics if m["model"] == name and m["metric"] == metric]
        if not values:
            continue
        if best is None or better(metric, values[0], best[1]):
            best = (name, values[0])
    return best[0] if best else None


def early_warnings(frame: pl.DataFrame, settings: ChurnSettings) -> pl.DataFrame:
    """customer_id and the three early-warning flags (null when the source is missing):
    interaction_drop, spend_drop, complaint_spike."""
    def flag(columns: tuple[str, ...], expr: pl.Expr) -> pl.Expr:
        return expr if all(c in frame.columns for c in columns) else pl.lit(None, dtype=pl.Boolean)

    keep = 1.0 - settings.interaction_drop_share
    return frame.select(
        "customer_id",
        flag(("interactions_recent", "interactions_previous"),
             (pl.col("interactions_previous") >= settings.interaction_drop_min_previous)
             & (pl.col("interactions_recent") <= keep * pl.col("interactions_previous"))).alias("interaction_drop"),
        flag(("spend_recent", "spend_previous"),
             (pl.col("spend_previous") > 0)
             & (pl.col("spend_recent") <= (1.0 - settings.spend_drop_share) * pl.col("spend_previous")))
        .alias("spend_drop"),
        flag(("complaints_recent", "complaints_previous"),
             (pl.col("complaints_recent") >= settings.complaint_spike_min)
             & (pl.col("complaints_recent") >= 2 * pl.col("complaints_previous"))).alias("complaint_spike"),
    )


def risk_tier(probability: pl.Expr, settings: ChurnSettings) -> pl.Expr:
    return (pl.when(probability >= settings.risk_high).then(pl.lit("high"))
            .when(probability >= settings.risk_medium).then(pl.lit("medium"))
            .otherwise(pl.lit("low")))


def score_customers(model: FittedChurnModel, frame: pl.DataFrame, settings: ChurnSettings) -> pl.DataFrame:
    """Probability, risk tier, reasons (medium and high risk only) and early warnings per customer."""
    probability = np.round(model.predict(frame), 6)
    scored = frame.select("customer_id", "days_since_last_purchase").with_columns(
        pl.Series("churn_probability", probability, dtype=pl.Float64))
    scored = scored.with_columns(risk_tier(pl.col("churn_probability"), settings).alias("risk_tier"))
    at_risk = scored["churn_probability"] >= settings.risk_medium
    reasons = top_reasons(model, frame.filter(at_risk), settings.trend_days, settings.reason_min_contribution)
    return (scored.join(reasons, on="customer_id", how="left")
            .join(early_warnings(frame, settings), on="customer_id", how="left")
            .sort("customer_id"))


def purchase_forecast_accuracy(conn: duckdb.DuckDBPyConnection, forecast: pl.DataFrame | None,
                               cutoff: date | None, as_of: date) -> list[dict]:
    """BG/NBD expected purchase days in (cutoff, as-of] (model fitted on data up to the cutoff)
    against the purchase days that happened, per past repeat-purchase frequency 0..6, 7+, and in total."""
    if forecast is None or forecast.height == 0 or cutoff is None:
        return []
    actual = SQL.frame(conn, "actual_purchases", c1=cutoff, as_of=as_of)
    joined = forecast.join(actual, on="customer_id", how="left").with_columns(
        pl.col("actual_purchases").fill_null(0),
        pl.when(pl.col("frequency") >= 7).then(7).otherwise(pl.col("frequency")).alias("bucket_order"))
    grouped = joined.group_by("bucket_order").agg(
        pl.len().alias("customers"), pl.col("bgnbd_expected_purchases").sum().alias("predicted_purchases"),
        pl.col("actual_purchases").sum().alias("actual_purchases")).sort("bucket_order")
    rows = [{"frequency_bucket": "7+" if r["bucket_order"] == 7 else str(r["bucket_order"]), **r}
            for r in grouped.to_dicts()]
    rows.append({"frequency_bucket": "all", "bucket_order": 99, "customers": joined.height,
                 "predicted_purchases": float(joined["bgnbd_expected_purchases"].sum()),
                 "actual_purchases": int(joined["actual_purchases"].sum())})
    return rows


class FeatureStore:
    """Feature frames and BG/NBD fits by cutoff, each computed once per run."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, settings: ChurnSettings):
        self.conn, self.settings = conn, settings
        self._models: dict[date, PurchaseModel | None] = {}
        self._frames: dict[tuple[date, int, bool], pl.DataFrame] = {}

    def purchase_model(self, cutoff: date) -> PurchaseModel | None:
        if cutoff not in self._models:
            self._models[cutoff] = fit_purchase_model(self.conn, cutoff)
        return self._models[cutoff]

    def forecast(self, cutoff: date, label_days: int) -> pl.DataFrame:
        """The purchase-model features over label_days (empty frame when BG/NBD cannot be fitted)."""
        model = self.purchase_model(cutoff)
        if model is None:
            return pl.DataFrame(schema={"customer_id": pl.Utf8, "frequency": pl.Int64,
                                        **{f: pl.Float64 for f in BGNBD_FEATURES}})
        return model.features(label_days)

    def frame(self, cutoff: date, label_days: int, labelled: bool) -> pl.DataFrame:
        key = (cutoff, label_days, labelled)
        if key not in self._frames:
            self._frames[key] = build_features(self.conn, cutoff, self.settings, labelled,
                                               available_groups(self.conn, cutoff),
                                               self.forecast(cutoff, label_days), label_days)
        return self._frames[key]

    def stacked(self, cutoffs: tuple[date, ...], label_days: int) -> pl.DataFrame:
        """The labelled rows of several cutoffs in one frame (a feature missing at a cutoff is null)."""
        frames = [self.frame(c, label_days, True).with_columns(pl.lit(c).alias("cutoff")) for c in cutoffs]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def scoring_frame(self, plan: TrainingPlan, label_free: bool = False) -> pl.DataFrame:
        """The customers at the as-of date, with the BG/NBD probability of no purchase over the
        requested horizon beside the label-horizon one (used to rescale the probabilities); for a
        label-free model, which reads the requested horizon directly, in its place."""
        label_days = plan.label_horizon_days or plan.horizon_days
        frame = self.frame(plan.as_of, label_days, False)
        model = self.purchase_model(plan.as_of)
        requested = (model.summary.select("customer_id").with_columns(
            pl.Series("bgnbd_p_no_purchase_horizon", np.round(model.no_purchase_probability(plan.horizon_days), 6),
                      dtype=pl.Float64))
            if model is not None else pl.DataFrame(schema={"customer_id": pl.Utf8,
                                                           "bgnbd_p_no_purchase_horizon": pl.Float64}))
        frame = frame.join(requested, on="customer_id", how="left")
        if label_free:
            frame = frame.with_columns(pl.col("bgnbd_p_no_purchase_horizon").alias("bgnbd_p_no_purchase"))
        return frame


def _metric_rows(name: str, y: np.ndarray, probability: np.ndarray) -> list[dict]:
    tie_break = np.arange(y.size)  # rows are sorted by customer_id
    return [{"model": name, "metric": metric, "value": value, "evaluation": "backtest"}
            for metric, value in churn_metrics(y, probability, tie_break).items()]


def _not_evaluated(name: str) -> list[dict]:
    return [{"model": name, "metric": metric, "value": None, "evaluation": "not evaluated"}
            for metric in METRIC_DIRECTIONS]


def data_start(conn: duckdb.DuckDBPyConnection, as_of: date) -> date | None:
    """The first day with a completed purchase on or before the as-of date."""
    return SQL.rows(conn, "data_start", as_of=as_of)[0][0]


def _learned_health(plan: TrainingPlan, shipped: FittedChurnModel, why: tuple[str, str] | None) -> Health:
    if not plan.shortened or why is None:
        return Health(OK, "Built as configured.", "已按设置生成。")
    h, big_h, n = plan.label_horizon_days, plan.horizon_days, len(plan.shipped_cutoffs)
    if shipped.rescaled:
        scaled = (f"probabilities moved to {big_h} days with the BG/NBD purchase model",
                  f"概率已按 BG/NBD 购买模型换算为 {big_h} 天")
    else:
        scaled = (f"probabilities are for {h} days: the BG/NBD purchase model could not be fitted to rescale them",
                  f"BG/NBD 购买模型无法拟合，概率仍为 {h} 天的概率")
    if shipped.name in BASELINES:  # the learnt models lost to a baseline on the backtest: say so
        baseline = {"recency_rule": ("the recency rule", "最近购买规则"),
                    "bgnbd_score": ("the BG/NBD baseline", "BG/NBD 基准")}[shipped.name]
        return Health(DEGRADED, f"{why[0]}. Judged on {h}-day outcomes at {n} cutoffs instead, no learnt model beat "
                                f"{baseline[0]}, which is shipped; {scaled[0]}.",
                      f"{why[1]}。改为在 {n} 个时点按 {h} 天的结果评估，学习模型均未超过{baseline[1]}，"
                      f"因此采用{baseline[1]}；{scaled[1]}。")
    return Health(DEGRADED, f"{why[0]}. Learnt from {h}-day outcomes at {n} cutoffs instead; {scaled[0]}.",
                  f"{why[1]}。改为在 {n} 个时点用 {h} 天的结果学习；{scaled[1]}。")


def _fallback_health(why: tuple[str, str], shipped: str, horizon: int) -> Health:
    if shipped == "bgnbd_no_purchase":
        what = (f"the BG/NBD purchase model's probability of no purchase in the next {horizon} days",
                f"BG/NBD 购买模型给出的未来 {horizon} 天不购买的概率")
    else:
        what = ("the purchase-gap rule (days since the last purchase against the customer's usual gap between "
                "purchases)", "购买间隔规则（距上次购买的天数与该客户平时购买间隔之比）")
    return Health(DEGRADED, f"{why[0]}. No model was learnt; the scores are {what[0]}.",
                  f"{why[1]}。未训练模型；评分采用{what[1]}。")


def _history_reason(plan: TrainingPlan, settings: ChurnSettings) -> tuple[str, str]:
    big_h, m = plan.horizon_days, settings.min_history_days
    need = 2 * big_h + m
    return (f"Not enough history for the {big_h}-day horizon: two {big_h}-day outcome windows after {m} days of "
            f"purchases need {need} days, the data holds {plan.history_days}",
            f"历史数据不足以支持 {big_h} 天的预测期：{m} 天购买记录之后的两个 {big_h} 天结果窗口共需 {need} 天，"
            f"数据只有 {plan.history_days} 天")


def _learn(store: FeatureStore, plan: TrainingPlan, settings: ChurnSettings, run: ChurnRun,
           why: tuple[str, str] | None) -> tuple[str, str] | None:
    """Backtest the candidates on the plan, ship the best into ``run``; or say why it cannot."""
    h = plan.label_horizon_days
    train = store.stacked(plan.backtest_cutoffs, h)
    test = store.frame(plan.test_cutoff, h, True)
    for name, frame, when in (("training", train, f"the {len(plan.backtest_cutoffs)} backtest cutoff(s)"),
                              ("test", test, str(plan.test_cutoff))):
        problem = _enough(frame, settings)
        if problem:
            return (f"Too few customers to learn {h}-day churn: backtest {name} rows at {when}: {problem[0]}",
                    f"客户太少，无法学习 {h} 天流失：回测{'训练' if name == 'training' else '测试'}数据"
                    f"（{when}）：{problem[1]}")
    scoring = store.scoring_frame(plan)
    features = [f for f in feature_columns(train) if f in test.columns and f in scoring.columns]
    train = training_sample(train, settings.max_training_rows, settings.seed)
    y_test = test["churned"].to_numpy()
    predictions: dict[str, np.ndarray] = {}
    metrics: list[dict] = []
    for name in CANDIDATES:
        model = fit_candidate(name, train, features, settings.seed, h, settings.horizon_days)
        if model is None:
            continue
        predictions[name] = model.predict_matrix(feature_matrix(test, model.features))
        metrics += _metric_rows(name, y_test, predictions[name])
    shipped_name = select_model(metrics, settings.selection_metric)
    if shipped_name is None:
        return ("No candidate could be evaluated on the backtest", "回测中没有可评估的候选模型")
    shipped = fit_candidate(shipped_name, training_sample(store.stacked(plan.shipped_cutoffs, h),
                                                          settings.max_training_rows, settings.seed),
                            features, settings.seed, h, settings.horizon_days)
    if shipped is None:
        return ("The chosen model could not be re-trained on the newest windows", "所选模型无法在最新窗口上重新训练")
    run.features, run.metrics, run.shipped = features, metrics, shipped
    run.calibration = calibration_by_decile(y_test, predictions[shipped_name], np.arange(test.height))
    run.scores = score_customers(shipped, scoring, settings)
    run.health = _learned_health(plan, shipped, why)
    return None


def _fall_back(store: FeatureStore, plan: TrainingPlan, why: tuple[str, str], settings: ChurnSettings,
               run: ChurnRun) -> None:
    """Ship a label-free score: BG/NBD's own probability when it can be fitted, else the purchase-gap
    rule; judge it on the newest labelled window when that has ``min_churners`` of each outcome."""
    name = "bgnbd_no_purchase" if store.purchase_model(plan.as_of) is not None else "purchase_gap_rule"
    scoring = store.scoring_frame(plan, label_free=True)
    run.shipped = label_free_model(name, scoring, plan.horizon_days)
    run.features = list(run.shipped.features)
    run.metrics = _not_evaluated(name)
    if plan.test_cutoff is not None:
        test = store.frame(plan.test_cutoff, plan.label_horizon_days, True)
        if name == "bgnbd_no_purchase" and store.purchase_model(plan.test_cutoff) is None:
            test = test.head(0)
        y = test["churned"].to_numpy() if test.height else np.zeros(0, dtype=int)
        if min(y.sum(), y.size - y.sum()) >= settings.min_churners:  # fewer of an outcome: the numbers are noise
            judged = label_free_model(name, test, plan.label_horizon_days)
            probability = judged.predict_matrix(feature_matrix(test, judged.features))
            run.metrics = _metric_rows(name, y, probability)
            run.calibration = calibration_by_decile(y, probability, np.arange(y.size))
    run.scores = score_customers(run.shipped, scoring, settings)
    run.health = _fallback_health(why, name, plan.horizon_days)


def run_churn(conn: duckdb.DuckDBPyConnection, as_of: date, settings: ChurnSettings) -> ChurnRun:
    """Backtest the candidates on the best plan the history allows, ship the best (or a label-free
    fallback) and score every customer who bought in the population window before the as-of date."""
    store = FeatureStore(conn, settings)
    plans = plan_training(data_start(conn, as_of), as_of, settings)
    if not plans:
        empty = TrainingPlan(as_of, settings.horizon_days, 0, 0)
        return ChurnRun(empty, Health(DEGRADED, f"No completed purchase on or before {as_of}: nobody to score.",
                                      f"截至 {as_of} 没有已完成的购买：没有可评分的客户。"))
    why = None if plans[0].label_horizon_days == settings.horizon_days else _history_reason(plans[0], settings)
    for plan in (p for p in plans if p.learnable):
        run = ChurnRun(plan, Health(OK, "", ""))
        run.purchase_forecast = _forecast_accuracy(conn, store, plan)
        problem = _learn(store, plan, settings, run, why)
        if problem is None:
            return run
        why = why or problem
    run = ChurnRun(plans[0], Health(DEGRADED, "", ""))
    run.purchase_forecast = _forecast_accuracy(conn, store, plans[0])
    _fall_back(store, plans[0], why or _history_reason(plans[0], settings), settings, run)
    return run


def _forecast_accuracy(conn: duckdb.DuckDBPyConnection, store: FeatureStore, plan: TrainingPlan) -> list[dict]:
    cutoff = plan.test_cutoff
    if cutoff is None or store.purchase_model(cutoff) is None:
        return []
    return purchase_forecast_accuracy(conn, store.forecast(cutoff, plan.label_horizon_days), cutoff, plan.as_of)
