"""Churn prediction: leak-free features and labels, hand-computed features, metrics, model choice,
rolling-origin plans, fallbacks and statuses, scores, reasons, early warnings, the unscored list,
saved models, checks, failure containment and the assets materialised."""

import dataclasses
import math
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from dagster import AssetKey, AssetSelection, materialize
from polars.testing import assert_frame_equal

import assets.analytics.churn.training as churn_training
from assets.analytics.churn.artefacts import load_churn_model, score_with_saved_model
from assets.analytics.churn.asset import CHURN_TABLES, build_churn
from assets.analytics.churn.features import available_groups, build_features, feature_columns
from assets.analytics.churn.metrics import better, calibration_by_decile, churn_metrics, top_decile_lift
from assets.analytics.churn.models import fit_candidate, label_free_model
from assets.analytics.churn.reasons import top_reasons
from assets.analytics.churn.settings import ChurnSettings
from assets.analytics.churn.training import early_warnings, plan_training, run_churn, select_model
from assets.common.settings import load_thresholds
from assets.common.status import read_status
from checks.analytics.churn import CHURN_CHECKS, coverage_outcomes, model_choice_outcomes, score_outcomes
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from pipelines.tools.sample_data import DirtRates, generate
from tests.churn_data import as_known_at, empty_core, insert, orders_core, synthetic_core
from tests.conftest import query
from tests.inbox_builders import four_source_inbox, write_csv

AS_OF = date(2025, 6, 30)
SETTINGS = ChurnSettings.from_thresholds(load_thresholds())


@pytest.fixture(scope="module")
def simulated():
    return synthetic_core(600, AS_OF)


@pytest.fixture(scope="module")
def simulated_run(simulated):
    return run_churn(simulated, AS_OF, SETTINGS)


# --- leakage -------------------------------------------------------------------------------------


def test_features_use_nothing_after_the_cutoff(simulated):
    cutoff = AS_OF - timedelta(days=90)
    with_future = build_features(simulated, cutoff, SETTINGS, with_label=False)
    known = synthetic_core(600, AS_OF)
    as_known_at(known, cutoff)
    without_future = build_features(known, cutoff, SETTINGS, with_label=False)
    assert with_future.height > 300
    assert_frame_equal(with_future, without_future)


def test_label_reads_only_the_horizon_after_the_cutoff():
    conn = empty_core()
    cutoff = date(2025, 1, 1)
    insert(conn, "core.orders", [
        ("a1", "A", cutoff - timedelta(days=10), "completed", 10, True),
        ("a2", "A", cutoff + timedelta(days=91), "completed", 10, True),   # after the horizon: still churned
        ("b1", "B", cutoff - timedelta(days=10), "completed", 10, True),
        ("b2", "B", cutoff + timedelta(days=90), "completed", 10, True),   # last day of the horizon
        ("c1", "C", cutoff - timedelta(days=10), "completed", 10, True),
        ("c2", "C", cutoff + timedelta(days=5), "refunded", 10, False),    # refunds are not purchases
        ("d1", "D", cutoff + timedelta(days=5), "completed", 10, True),    # first bought after: not in scope
    ])
    labels = dict(build_features(conn, cutoff, SETTINGS, with_label=True).select("customer_id", "churned").rows())
    assert labels == {"A": 1, "B": 0, "C": 1}


def test_models_cannot_learn_from_behaviour_after_the_cutoff():
    """Before the cutoff churners and stayers behave alike; afterwards churners stop buying and
    complain. Any leak of post-cutoff data would let the models separate them almost perfectly."""
    as_of = AS_OF
    leak_from = as_of - timedelta(days=90)
    conn = synthetic_core(800, as_of, seed=11, post_cutoff_leak=leak_from)
    settings = dataclasses.replace(SETTINGS, horizon_days=90)
    cutoff = leak_from
    frame = build_features(conn, cutoff, settings, with_label=True)
    assert 0.3 < frame["churned"].mean() < 0.7
    half = frame.height // 2
    train, test = frame[:half], frame[half:]
    for name in ("logistic_regression", "gradient_boosting"):
        model = fit_candidate(name, train, feature_columns(frame), seed=7)
        auc = churn_metrics(test["churned"].to_numpy(), model.predict(test), np.arange(test.height))["roc_auc"]
        assert auc < 0.62, f"{name} separates churners using data it must not see (AUC {auc:.2f})"


# --- features by hand ----------------------------------------------------------------------------


def test_features_of_one_customer_by_hand():
    conn = empty_core()
    c = date(2025, 6, 30)
    days = [c - timedelta(days=d) for d in (200, 150, 100, 40, 10)]
    insert(conn, "core.orders", [(f"o{i}", "A", d, "completed", amt, True)
                                 for i, (d, amt) in enumerate(zip(days, (100, 100, 300, 50, 50), strict=True))])
    insert(conn, "core.order_lines", [("o0", "A", days[0], "S1", "tea", "completed", 100),
                                      ("o1", "A", days[1], "S2", "cups", "completed", 100)])
    insert(conn, "core.interactions", [("A", c - timedelta(days=d)) for d in (5, 100, 120, 150)])
    insert(conn, "core.tickets", [("A", c - timedelta(days=3), None, True, None),
                                  ("A", c - timedelta(days=50), c - timedelta(days=49), True, 2),
                                  ("A", c - timedelta(days=120), c - timedelta(days=119), False, 4)])
    insert(conn, "core.email_events", [("A", "delivered", c - timedelta(days=d)) for d in (10, 20, 100, 110)]
           + [("A", "open", c - timedelta(days=d)) for d in (10, 100, 110)] + [("A", "unsubscribe", c)])
    insert(conn, "core.surveys", [("A", c - timedelta(days=300), c - timedelta(days=300), 9),
                                  ("A", c - timedelta(days=30), c - timedelta(days=30), 4)])
    insert(conn, "core.opportunities", [("A", c - timedelta(days=20), c + timedelta(days=30), "open", 800),
                                        ("A", c - timedelta(days=200), c - timedelta(days=100), "won", 500)])
    row = build_features(conn, c, SETTINGS, with_label=False, groups=[
        "purchases", "interactions", "service", "surveys", "email", "opportunities"]).row(0, named=True)
    assert row["days_since_last_purchase"] == 10
    assert row["tenure_days"] == 200
    assert row["purchase_days"] == 5 and row["orders_total"] == 5
    assert row["spend_recent"] == 100 and row["spend_previous"] == 400       # (−90, 0] vs (−180, −90]
    assert row["spend_trend"] == pytest.approx((100 - 400) / 500)
    assert row["orders_recent"] == 2 and row["orders_previous"] == 2 and row["order_trend"] == 0
    assert row["mean_gap_days"] == pytest.approx(190 / 4)
    assert row["overdue_ratio"] == pytest.approx(10 / 47.5, abs=1e-4)
    assert (row["last_gap_days"], row["longest_gap_days"]) == (30, 60)
    # 2 purchase days in (−90, 0]; before: 3 in the 110 days from the first purchase → 3 × 90 / 110 expected
    assert row["recent_vs_usual_purchases"] == pytest.approx(2 - 3 * 90 / 110, abs=1e-4)
    assert (row["days_since_last_order_any_status"], row["order_days_any_status"]) == (10, 5)
    assert row["category_count"] == 2
    assert (row["interactions_recent"], row["interactions_previous"], row["days_since_last_contact"]) == (1, 3, 5)
    assert row["interaction_trend"] == pytest.approx(-0.5)
    assert (row["tickets_recent"], row["complaints_recent"], row["complaints_previous"]) == (2, 2, 0)
    assert row["complaints_total"] == 2
    assert row["mean_csat"] == pytest.approx(3.0)                # the unresolved complaint has no score yet
    assert row["last_nps"] == 4
    assert row["emails_delivered_recent"] == 2 and row["open_rate_recent"] == pytest.approx(0.5)
    assert row["open_rate_previous"] == pytest.approx(1.0) and row["open_rate_trend"] == pytest.approx(-0.5)
    assert row["unsubscribed"] == 1
    assert (row["open_opportunities"], row["open_opportunity_value"], row["won_opportunities_year"]) == (1, 800, 1)
    assert (row["won_opportunity_value"], row["lost_opportunities_year"]) == (500, 0)


def test_a_missing_source_removes_its_features_and_training_still_works(simulated):
    conn = synthetic_core(600, AS_OF)
    for table in ("interactions", "tickets", "surveys", "email_events", "opportunities"):
        conn.execute(f"DELETE FROM core.{table}")
    assert available_groups(conn, AS_OF) == ["purchases", "purchase_model"]
    run = run_churn(conn, AS_OF, SETTINGS)
    assert run.health.state == "ok" and run.shipped is not None
    assert not any(f.startswith(("interaction", "complaint", "open_rate")) for f in run.features)
    assert run.scores["interaction_drop"].null_count() == run.scores.height
    assert run.scores["spend_drop"].null_count() == 0


# --- metrics and model choice --------------------------------------------------------------------


def test_metrics_by_hand():
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    m = churn_metrics(y, p, np.arange(10))
    assert m["top_decile_lift"] == pytest.approx(1.0 / 0.2)          # the top 1 is a churner; base rate 20%
    assert m["brier_score"] == pytest.approx(((0.1 ** 2) + 0.8 ** 2 + 0.8 ** 2 + 7 * 0.01) / 10)
    assert m["roc_auc"] == pytest.approx((8 + 7) / 16)     # 0.9 beats all 8; 0.2 beats seven 0.1s, not 0.8
    assert math.isnan(churn_metrics(np.zeros(4), np.full(4, 0.5), np.arange(4))["roc_auc"])  # one outcome only
    assert math.isnan(top_decile_lift(np.zeros(5), np.ones(5), np.arange(5)))


def test_model_choice_prefers_the_simpler_model_on_ties_and_respects_direction():
    rows = [{"model": "recency_rule", "metric": "roc_auc", "value": 0.8},
            {"model": "logistic_regression", "metric": "roc_auc", "value": 0.8},
            {"model": "gradient_boosting", "metric": "roc_auc", "value": 0.79},
            {"model": "recency_rule", "metric": "brier_score", "value": 0.20},
            {"model": "gradient_boosting", "metric": "brier_score", "value": 0.18}]
    assert select_model(rows, "roc_auc") == "recency_rule"
    assert select_model(rows, "brier_score") == "gradient_boosting"
    assert better("roc_auc", 0.7, float("nan")) and not better("roc_auc", float("nan"), 0.1)


def test_calibration_deciles_cover_everyone_lowest_risk_first():
    p = np.linspace(0, 1, 50)
    y = (p > 0.5).astype(int)
    rows = calibration_by_decile(y, p, np.arange(50))
    assert [r["decile"] for r in rows] == list(range(1, 11))
    assert sum(r["customers"] for r in rows) == 50
    assert rows[0]["actual_churn_rate"] == 0 and rows[-1]["actual_churn_rate"] == 1
    assert rows[0]["mean_predicted"] < rows[-1]["mean_predicted"]


# --- the whole run --------------------------------------------------------------------------------


def test_every_candidate_is_backtested_and_the_best_ships(simulated_run):
    run = simulated_run
    assert run.health.state == "ok"
    models = {m["model"] for m in run.metrics}
    assert models == {"recency_rule", "bgnbd_score", "logistic_regression", "gradient_boosting"}
    auc = {m["model"]: m["value"] for m in run.metrics if m["metric"] == "roc_auc"}
    assert auc[run.shipped.name] == max(auc.values())
    assert auc[run.shipped.name] >= auc["recency_rule"]
    # the drift signals (contacts, complaints, e-mail) are real in this data: models find them
    assert max(auc["logistic_regression"], auc["gradient_boosting"]) > 0.7


def test_scores_tiers_reasons_and_warnings(simulated_run):
    scores = simulated_run.scores
    assert scores["customer_id"].is_unique().all()
    assert scores["churn_probability"].is_between(0, 1).all()
    high = scores.filter(pl.col("churn_probability") >= SETTINGS.risk_high)
    assert (high["risk_tier"] == "high").all()
    assert (scores.filter(pl.col("churn_probability") < SETTINGS.risk_medium)["risk_tier"] == "low").all()
    assert scores.filter(pl.col("risk_tier") == "low")["top_reasons"].null_count() == scores.filter(
        pl.col("risk_tier") == "low").height
    with_reasons = scores.filter(pl.col("top_reasons").is_not_null())
    assert with_reasons.height > 0
    assert with_reasons["top_reasons"].str.split("; ").list.len().max() <= 3
    assert with_reasons["top_reasons_zh"].null_count() == 0


def test_early_warning_flags_by_hand():
    frame = pl.DataFrame({
        "customer_id": ["drop", "steady", "few", "spike", "old"],
        "interactions_recent": [1, 4, 0, 0, 0], "interactions_previous": [4, 4, 1, 0, 0],
        "spend_recent": [0.0, 100.0, 10.0, 0.0, 50.0], "spend_previous": [100.0, 100.0, 0.0, 0.0, 100.0],
        "complaints_recent": [0, 0, 1, 3, 2], "complaints_previous": [0, 0, 0, 1, 2],
    })
    flags = {r["customer_id"]: (r["interaction_drop"], r["spend_drop"], r["complaint_spike"])
             for r in early_warnings(frame, SETTINGS).to_dicts()}
    assert flags == {"drop": (True, True, False), "steady": (False, False, False), "few": (False, False, False),
                     "spike": (False, False, True), "old": (False, True, False)}


def test_runs_are_deterministic(simulated, simulated_run):
    again = run_churn(simulated, AS_OF, SETTINGS)
    assert_frame_equal(again.scores, simulated_run.scores)
    assert again.metrics == simulated_run.metrics


# --- tables, saved model and checks -----------------------------------------------------------------


def test_tables_saved_model_and_checks(tmp_path):
    conn = synthetic_core(600, AS_OF)
    run = build_churn(conn, AS_OF, SETTINGS, str(tmp_path))
    scores = conn.sql("SELECT * FROM analytics.churn_scores ORDER BY customer_id").pl()
    assert scores.height == run.scores.height
    assert conn.execute("SELECT count(*) FROM analytics.churn_scores WHERE abs(value_at_risk - "
                        "churn_probability * clv_12m) > 0.006").fetchall()[0][0] == 0
    assert conn.execute("SELECT sum(customers) FROM analytics.churn_calibration").fetchall()[0][0] > 0
    buckets = conn.sql("SELECT frequency_bucket, customers, predicted_purchases, actual_purchases "
                       "FROM analytics.purchase_forecast_accuracy ORDER BY bucket_order").fetchall()
    assert buckets[-1][0] == "all" and buckets[-1][1] == sum(b[1] for b in buckets[:-1])
    assert 0.5 < buckets[-1][2] / buckets[-1][3] < 2.0     # the purchase forecast is in the right range

    artefact = load_churn_model(tmp_path / "churn" / "latest")
    assert artefact.model.name == run.shipped.name and artefact.as_of == AS_OF
    card = (tmp_path / "churn" / AS_OF.isoformat() / "model_card.md").read_text()
    assert run.shipped.name in card and "ROC AUC" in card and str(AS_OF - timedelta(days=90)) in card
    rescored = score_with_saved_model(conn, artefact, AS_OF)
    assert_frame_equal(rescored.select("customer_id", "churn_probability"),
                       scores.select("customer_id", "churn_probability"))

    assert all(o.success for o in model_choice_outcomes(conn, SETTINGS))
    assert all(o.success for o in score_outcomes(conn, AS_OF, SETTINGS))
    # a shipped model worse than the recency rule fails the check
    conn.execute("UPDATE analytics.churn_model_metrics SET is_shipped = (model = 'bgnbd_score')")
    conn.execute("UPDATE analytics.churn_model_metrics SET value = CASE model WHEN 'recency_rule' THEN 0.4 "
                 "ELSE 0.3 END WHERE model IN ('recency_rule', 'bgnbd_score') AND metric = 'roc_auc'")
    failed = [o.expectation for o in model_choice_outcomes(conn, SETTINGS) if not o.success]
    assert failed == ["expect_shipped_not_worse_than_best_baseline"]
    conn.execute("UPDATE analytics.churn_scores SET risk_tier = 'low' WHERE churn_probability >= 0.6")
    failed = [o.expectation for o in score_outcomes(conn, AS_OF, SETTINGS) if not o.success]
    assert failed == ["expect_tier_matches_cutoffs"]


def test_the_check_needs_the_shipped_model_to_match_the_best_baseline_not_just_the_recency_rule():
    conn = empty_core()
    conn.execute("""CREATE TABLE analytics.churn_model_metrics AS SELECT * FROM (VALUES
        ('recency_rule', 'roc_auc', 0.70, 'backtest', false, true, 'ok'),
        ('bgnbd_score', 'roc_auc', 0.80, 'backtest', false, true, 'ok'),
        ('logistic_regression', 'roc_auc', 0.75, 'backtest', true, false, 'ok'))
        t(model, metric, value, evaluation, is_shipped, is_baseline, status)""")
    failed = {o.expectation: o for o in model_choice_outcomes(conn, SETTINGS) if not o.success}
    assert set(failed) == {"expect_shipped_not_worse_than_best_baseline", "expect_every_judged_model_has_all_metrics"}
    assert "bgnbd_score" in failed["expect_shipped_not_worse_than_best_baseline"].samples[0]


# --- rolling origin and short histories -----------------------------------------------------------------

def test_training_plans_follow_the_history():
    settings = dataclasses.replace(SETTINGS, horizon_days=90, training_cutoffs=6, min_history_days=30)
    as_of = date(2025, 6, 30)
    # two years: the requested horizon, six stacked cutoffs 90 days apart before the test cutoff
    [full] = plan_training(as_of - timedelta(days=730), as_of, settings)
    assert (full.label_horizon_days, full.test_cutoff) == (90, as_of - timedelta(days=90))
    assert full.backtest_cutoffs == tuple(as_of - timedelta(days=90 * k) for k in range(2, 8))
    assert full.shipped_cutoffs == tuple(as_of - timedelta(days=90 * k) for k in range(1, 7))
    # 120 days: no two 90-day windows; 30-day outcomes at three backtest cutoffs instead
    [short] = plan_training(as_of - timedelta(days=120), as_of, settings)
    assert short.shortened and short.label_horizon_days == 22
    assert len(short.backtest_cutoffs) == 3 and min(short.backtest_cutoffs) >= as_of - timedelta(days=90)
    # 300 days: the full horizon fits one training cutoff, the shorter one three: both are tried
    plans = plan_training(as_of - timedelta(days=300), as_of, settings)
    assert [p.label_horizon_days for p in plans] == [90, 67]
    # 40 days: nothing to learn from; nobody bought: nothing to plan
    [none] = plan_training(as_of - timedelta(days=40), as_of, settings)
    assert not none.learnable and none.test_cutoff is None
    assert plan_training(None, as_of, settings) == []
    assert plan_training(as_of + timedelta(days=1), as_of, settings) == []


def test_horizon_as_long_as_the_history_is_learnt_by_rolling_origin():
    """A log of nine months with the horizon set to the whole history: no labelled 270-day window
    exists, so the models learn from shorter outcomes at several cutoffs, stacked, and the scores
    are moved to the 270-day horizon with BG/NBD (the old code trained nothing here)."""
    as_of = date(2025, 6, 30)
    conn = synthetic_core(700, as_of, seed=5, days=270)
    settings = dataclasses.replace(SETTINGS, horizon_days=270)
    run = run_churn(conn, as_of, settings)
    assert run.plan.shortened and len(run.plan.backtest_cutoffs) >= 3
    assert run.health.state == "degraded"
    assert f"Learnt from {run.plan.label_horizon_days}-day outcomes" in run.health.message_en
    assert "270" in run.health.message_zh and "学习" in run.health.message_zh
    assert {m["model"] for m in run.metrics} >= {"recency_rule", "bgnbd_score", "gradient_boosting"}
    assert run.shipped.rescaled and run.shipped.horizon_days == 270
    auc = {m["model"]: m["value"] for m in run.metrics if m["metric"] == "roc_auc"}
    assert auc[run.shipped.name] >= max(auc["recency_rule"], auc["bgnbd_score"])
    scores = run.scores
    assert scores.height == conn.execute("SELECT count(DISTINCT customer_id) FROM core.orders").fetchall()[0][0]
    # no purchase in 270 days is less likely than in the shorter label horizon, for every customer
    frame = churn_training.FeatureStore(conn, settings).scoring_frame(run.plan).sort("customer_id")
    short_horizon = run.shipped.predict_matrix(churn_training.feature_matrix(frame, run.shipped.features))
    rescaled = scores.sort("customer_id")["churn_probability"].to_numpy()
    assert np.all(rescaled <= short_horizon + 1e-6) and rescaled.mean() < short_horizon.mean() - 0.05


# --- fallbacks and statuses ---------------------------------------------------------------------------


def _ten_customer_shop() -> duckdb.DuckDBPyConnection:
    """Ten customers, 30 order lines over 17 months (as-of 2025-06-30), everyone bought in the last year."""
    start = date(2024, 2, 1)
    rows = []
    for i in range(10):
        for k in range(3):
            rows.append((f"S{i:02d}", start + timedelta(days=20 * i + 150 * k + 7 * (i % 3)), 100.0 + 10 * k))
    return orders_core(rows)


def test_ten_customer_shop_is_scored_by_a_fallback_with_a_status(tmp_path):
    """Ten customers: too few to learn or to fit BG/NBD. Everybody is still scored, by the
    purchase-gap rule, and the metrics, the status and the asset status say why (in both languages)."""
    conn = _ten_customer_shop()
    run = build_churn(conn, AS_OF, SETTINGS, str(tmp_path))
    assert run.shipped.name == "purchase_gap_rule" and run.health.state == "degraded"
    scores = conn.sql("SELECT * FROM analytics.churn_scores ORDER BY customer_id").pl()
    assert scores.height == 10 and scores["churn_probability"].is_between(0, 1).all()
    assert scores["model"].unique().to_list() == ["purchase_gap_rule"]
    at_risk = scores.filter(pl.col("risk_tier") != "low")
    assert at_risk.height > 0 and at_risk["top_reason_codes"].str.contains("long_silence").all()
    status = conn.execute("SELECT DISTINCT status FROM analytics.churn_model_metrics").fetchall()
    assert len(status) == 1 and "Too few customers" in status[0][0] and "purchase-gap rule" in status[0][0]
    recorded = read_status(conn, "analytics/churn_scores")
    assert recorded.status == "degraded" and "客户太少" in recorded.message_zh
    assert conn.execute("SELECT count(*) FROM analytics.churn_unscored").fetchall()[0][0] == 0
    assert all(o.success for o in model_choice_outcomes(conn, SETTINGS) + score_outcomes(conn, AS_OF, SETTINGS)
               + coverage_outcomes(conn, AS_OF))
    assert load_churn_model(tmp_path / "churn" / "latest").model.name == "purchase_gap_rule"


def test_bgnbd_probability_ships_when_it_fits_but_nothing_can_be_learnt():
    conn = synthetic_core(60, AS_OF, seed=2)
    run = run_churn(conn, AS_OF, SETTINGS)
    assert run.shipped.name == "bgnbd_no_purchase" and "BG/NBD" in run.health.message_en
    assert run.scores.height > 30 and run.scores["churn_probability"].is_between(0, 1).all()
    # judged on the newest labelled window, which exists here
    assert {m["evaluation"] for m in run.metrics} == {"backtest"} and len(run.calibration) == 10


def test_an_error_inside_run_churn_is_contained(monkeypatch, caplog):
    conn = synthetic_core(200, AS_OF)

    def broken(*args, **kwargs):
        raise RuntimeError("singular matrix in the booster")

    monkeypatch.setattr(churn_training, "fit_candidate", broken)
    run = build_churn(conn, AS_OF, SETTINGS, None)
    assert run.health.state == "failed" and "RuntimeError: singular matrix" in run.health.message_en
    for table in ("churn_model_metrics", "churn_scores", "churn_calibration", "purchase_forecast_accuracy"):
        assert conn.execute(f"SELECT count(*) FROM analytics.{table}").fetchall()[0][0] == 0, table
        status = read_status(conn, f"analytics/{table}")
        assert status.status == "failed" and "RuntimeError" in status.detail
    assert "churn_probability" in [c[0] for c in conn.execute("DESCRIBE analytics.churn_scores").fetchall()]
    # every buyer is accounted for, as not scored because of the failure
    unscored = conn.sql("SELECT reason_code, count(*) FROM analytics.churn_unscored GROUP BY 1").fetchall()
    buyers = conn.execute("SELECT count(DISTINCT customer_id) FROM core.orders WHERE order_date <= ?", [AS_OF])
    assert unscored == [("scoring_failed", buyers.fetchall()[0][0])]
    assert all(o.success for o in coverage_outcomes(conn, AS_OF))
    assert "churn prediction failed" in caplog.text and "Traceback" in caplog.text


def test_churn_unscored_covers_every_buyer_once():
    conn = synthetic_core(300, AS_OF, seed=4)
    insert(conn, "core.orders", [
        ("L1", "LAPSED", AS_OF - timedelta(days=400), "completed", 50, True),    # bought over a year ago
        ("R1", "REFUNDED", AS_OF - timedelta(days=10), "refunded", 50, False),   # never completed: no buyer
        ("F1", "FUTURE", AS_OF + timedelta(days=3), "completed", 50, True),      # first buys after the as-of date
    ])
    build_churn(conn, AS_OF, SETTINGS, None)
    buyers = {r[0] for r in conn.execute("SELECT DISTINCT customer_id FROM core.orders WHERE status = 'completed' "
                                         "AND order_date <= ?", [AS_OF]).fetchall()}
    scored = {r[0] for r in conn.execute("SELECT customer_id FROM analytics.churn_scores").fetchall()}
    unscored = dict(conn.execute("SELECT customer_id, reason_code FROM analytics.churn_unscored").fetchall())
    assert scored.isdisjoint(unscored) and scored | set(unscored) == buyers
    assert unscored["LAPSED"] == "lapsed" and "REFUNDED" not in unscored and "FUTURE" not in unscored
    assert all(o.success for o in coverage_outcomes(conn, AS_OF))
    # a buyer left out of both tables fails the check
    conn.execute("DELETE FROM analytics.churn_unscored WHERE customer_id = 'LAPSED'")
    failed = [o.expectation for o in coverage_outcomes(conn, AS_OF) if not o.success]
    assert failed == ["expect_every_buyer_scored_or_unscored"]


def test_top_reasons_when_the_first_at_risk_customer_has_no_reason_above_the_minimum():
    """polars cannot build a string column from a NumPy object array whose first value is None: the
    old top_reasons crashed whenever the first at-risk customer had no reason worth reporting."""
    train = pl.DataFrame({"customer_id": [f"T{i:03d}" for i in range(200)],
                          "days_since_last_purchase": np.arange(200) % 100 * 3,
                          "churned": (np.arange(200) % 100 > 40).astype(int)})
    model = fit_candidate("recency_rule", train, ["days_since_last_purchase"], seed=7)
    typical = model.reference_values["days_since_last_purchase"]
    frame = pl.DataFrame({"customer_id": ["A", "B", "C"], "days_since_last_purchase": [typical, 290.0, typical],
                          "mean_gap_days": [None, 30.0, None], "overdue_ratio": [None, 9.7, None]})
    reasons = top_reasons(model, frame, 90, 0.01).sort("customer_id")
    assert reasons["top_reasons"].to_list() == [None, "No purchase for 290 days, usually buys every 30 days", None]
    assert reasons["top_reason_codes"].to_list() == [None, "long_silence", None]
    assert reasons.schema["top_reasons_zh"] == pl.Utf8


# --- unusual data: every run finishes with a status and scores whoever can be scored -------------------


def _run_on(conn: duckdb.DuckDBPyConnection, as_of: date = AS_OF, settings: ChurnSettings = SETTINGS):
    run = build_churn(conn, as_of, settings, None)
    assert run.health.state in ("ok", "degraded") and run.health.message_en and run.health.message_zh
    assert all(o.success for o in coverage_outcomes(conn, as_of)), [o for o in coverage_outcomes(conn, as_of)]
    probability = conn.sql("SELECT churn_probability FROM analytics.churn_scores").pl()["churn_probability"]
    assert probability.is_between(0, 1).all() and probability.null_count() == 0
    return run


@pytest.mark.parametrize("case", ["one_purchase_each", "one_customer", "all_on_one_day", "identical_customers",
                                  "refunds_and_zero_amounts"])
def test_unusual_order_histories_are_scored(case):
    d = AS_OF - timedelta(days=100)
    rows = {
        "one_purchase_each": [(f"C{i:03d}", d + timedelta(days=i % 90), 50.0 + i) for i in range(300)],
        "one_customer": [("ONLY", d, 100.0), ("ONLY", d + timedelta(days=40), 80.0)],
        "all_on_one_day": [(f"C{i:03d}", d, 20.0) for i in range(150)],
        "identical_customers": [(f"C{i:03d}", d - timedelta(days=30 * k), 40.0) for i in range(200) for k in range(6)],
        "refunds_and_zero_amounts": [(f"C{i:03d}", d - timedelta(days=17 * k + i % 13), (-30.0, 0.0, 75.0)[(i + k) % 3])
                                     for i in range(250) for k in range(1 + i % 5)],
    }[case]
    conn = orders_core(rows)
    _run_on(conn)
    scored = conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0]
    assert scored == len({r[0] for r in rows})


def test_as_of_before_inside_and_after_the_data():
    conn = synthetic_core(150, AS_OF, seed=6)
    first, last = conn.execute("SELECT min(order_date), max(order_date) FROM core.orders").fetchall()[0]
    before = _run_on(conn, first - timedelta(days=1))
    assert "No completed purchase" in before.health.message_en
    assert conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0] == 0
    inside = _run_on(conn, first + timedelta(days=200))
    assert inside.scores.height > 0
    after = _run_on(conn, last + timedelta(days=400))  # everyone lapsed: all listed as unscored
    assert conn.execute("SELECT count(*) FROM analytics.churn_scores").fetchall()[0][0] == 0
    assert conn.execute("SELECT DISTINCT reason_code FROM analytics.churn_unscored").fetchall() == [("lapsed",)]
    assert after.shipped is not None


def test_only_one_outcome_falls_back_and_says_so():
    # everyone buys every week right up to the as-of date: nobody churns in any 90-day window
    rows = [(f"W{i:03d}", AS_OF - timedelta(days=7 * k + i % 7), 30.0) for i in range(110) for k in range(31)]
    run = _run_on(orders_core(rows))
    assert run.shipped.name in ("bgnbd_no_purchase", "purchase_gap_rule")
    assert "0 churners" in run.health.message_en and "流失客户 0 个" in run.health.message_zh


def test_a_missing_source_table_and_constant_or_empty_features_are_harmless():
    conn = synthetic_core(300, AS_OF, seed=8)
    for table in ("interactions", "email_events"):
        conn.execute(f"DROP TABLE core.{table}")
    conn.execute("UPDATE core.tickets SET csat = NULL")          # an all-empty feature
    conn.execute("UPDATE core.order_lines SET category = 'one'")  # a constant feature
    run = _run_on(conn)
    assert run.shipped.name in ("logistic_regression", "gradient_boosting", "recency_rule", "bgnbd_score")
    assert "mean_csat" not in run.shipped.features and "category_count" not in run.shipped.features
    assert not any(f.startswith(("interaction", "open_rate")) for f in run.features)


def test_a_rare_outcome_and_an_empty_feature_still_train():
    frame = pl.DataFrame({"customer_id": [f"C{i:02d}" for i in range(40)], "x": np.arange(40.0),
                          "empty": [None] * 40, "churned": [1, 1] + [0] * 38}, schema_overrides={"empty": pl.Float64})
    one = frame.with_columns(pl.Series("churned", [1] + [0] * 39))
    for training in (frame, one):
        for name in ("gradient_boosting", "logistic_regression", "recency_rule"):
            model = fit_candidate(name, training.rename({"x": "days_since_last_purchase"}),
                                  ["days_since_last_purchase", "empty"], seed=7)
            assert model.features == ["days_since_last_purchase"]
            assert np.isfinite(model.predict(training.rename({"x": "days_since_last_purchase"}))).all()
    assert fit_candidate("gradient_boosting", frame.with_columns(pl.lit(0).alias("churned")), ["x"], seed=7) is None


def test_label_free_rules_by_hand():
    frame = pl.DataFrame({"customer_id": ["new", "due", "late", "once"], "days_since_last_purchase": [0, 30, 90, 60],
                          "mean_gap_days": [30.0, 30.0, 30.0, None], "bgnbd_p_no_purchase": [0.1, 0.5, 0.9, None]})
    rule = label_free_model("purchase_gap_rule", frame, 90)
    p = rule.predict(frame)
    # silent for up to one usual gap: still buying, and skips 90 days with chance e^-3
    assert p[0] == pytest.approx(np.exp(-3)) and p[1] == pytest.approx(np.exp(-3))
    assert p[2] == pytest.approx(1 - np.exp(-2) * (1 - np.exp(-3)))
    assert p[3] == pytest.approx(1 - np.exp(-1) * (1 - np.exp(-3)))  # one-timer: the typical gap (30 days)
    assert label_free_model("bgnbd_no_purchase", frame, 90).predict(frame).tolist() == [0.1, 0.5, 0.9, 0.5]


# --- the assets -----------------------------------------------------------------------------------------

CHURN_KEYS = [AssetKey(["analytics", t]) for t in CHURN_TABLES]


def test_churn_assets_materialise_degrade_and_contain_a_failure(paths, monkeypatch):
    four_source_inbox(Path(paths.inbox_dir))
    selection = AssetSelection.assets(*CHURN_KEYS).upstream().required_multi_asset_neighbors()
    checks = [c for c in ALL_CHECKS if c in CHURN_CHECKS or "built_as_configured" in str(c.check_keys)]
    result = materialize([*ALL_ASSETS, *checks], resources=build_resources(paths), selection=selection)
    assert result.success
    scored = query(paths, "SELECT count(*) FROM analytics.churn_scores")[0][0]
    buyers = query(paths, "SELECT count(DISTINCT customer_id) FROM core.orders WHERE status = 'completed'")[0][0]
    assert scored + query(paths, "SELECT count(*) FROM analytics.churn_unscored")[0][0] == buyers > 0
    assert query(paths, "SELECT status FROM quality.asset_status WHERE asset = 'analytics/churn_scores'") == [
        ("degraded",)]
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations["churn_scores_built_as_configured"] is False  # a warning: a fallback shipped
    assert evaluations["churn_every_buyer_scored_or_explained"] and evaluations["churn_scores_consistent"]

    monkeypatch.setattr(churn_training, "build_features", lambda *a, **k: 1 / 0)
    again = materialize([*ALL_ASSETS, *checks], resources=build_resources(paths), selection=selection)
    assert again.success  # the run goes on
    assert query(paths, "SELECT count(*) FROM analytics.churn_scores")[0][0] == 0
    assert query(paths, "SELECT status, message_en FROM quality.asset_status WHERE asset = 'analytics/churn_scores'"
                 )[0][1].startswith("Could not be computed in this run (ZeroDivisionError")
    evaluations = {e.check_name: e for e in again.get_asset_check_evaluations()}
    assert not evaluations["churn_scores_built_as_configured"].passed
    assert evaluations["churn_every_buyer_scored_or_explained"].passed


def test_a_minimal_four_column_log_with_one_time_buyers_and_zero_amounts_runs_through(paths):
    """The export real public logs come as: customer_id, order_date, quantity, amount; most customers
    bought once, some amounts are 0, ten months of history. Churn and CLV build, every buyer is
    scored or explained, every CLV is a number, and the checks hold."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(400):
        for day in sorted(rng.integers(0, 300, 1 if rng.random() < 0.6 else int(rng.integers(2, 6)))):
            amount = 0.0 if rng.random() < 0.05 else round(float(rng.uniform(5, 300)), 2)
            rows.append([f"U{i:04d}", (date(2024, 9, 1) + timedelta(days=int(day))).isoformat(),
                         str(int(rng.integers(1, 5))), f"{amount:.2f}"])
    write_csv(Path(paths.inbox_dir) / "sales" / "transactions.csv", ["customer_id", "order_date", "quantity",
                                                                    "amount"], rows)
    keys = [*CHURN_KEYS, AssetKey(["analytics", "clv"])]
    selection = AssetSelection.assets(*keys).upstream().required_multi_asset_neighbors()
    checks = [*CHURN_CHECKS, *(c for c in ALL_CHECKS if "built_as_configured" in str(c.check_keys))]
    result = materialize([*ALL_ASSETS, *checks], resources=build_resources(paths), selection=selection)
    assert result.success
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    for name in ("churn_shipped_model_not_worse_than_best_baseline", "churn_scores_consistent",
                 "churn_every_buyer_scored_or_explained"):
        assert evaluations[name], name
    buyers = query(paths, "SELECT count(DISTINCT customer_id) FROM core.orders WHERE status = 'completed'")[0][0]
    assert query(paths, "SELECT count(*) FROM analytics.churn_scores")[0][0] == buyers > 300
    assert query(paths, "SELECT count(*), count(clv_12m), min(clv_12m) >= 0 FROM analytics.clv")[0] == (
        buyers, buyers, True)
    statuses = dict(query(paths, "SELECT asset, status FROM quality.asset_status"))
    assert statuses["analytics/churn_scores"] in ("ok", "degraded") and statuses["analytics/clv"] in ("ok", "degraded")


# --- benchmark support: a hidden future ---------------------------------------------------------------


def test_generator_cuts_the_exports_and_keeps_the_future_in_the_truth(tmp_path):
    kwargs = {"customers": 120, "seed": 3, "end_date": date(2025, 6, 30), "years": 1, "dirt": DirtRates().scaled(0),
              "sources": ("sales", "crm")}
    cut = date(2025, 1, 31)
    generate(tmp_path / "full" / "inbox", tmp_path / "full" / "truth", **kwargs)
    generate(tmp_path / "cut" / "inbox", tmp_path / "cut" / "truth", observed_until=cut, **kwargs)

    def orders(inbox: Path) -> pl.DataFrame:
        """order id, order day and customer code of every line in the sales exports (clean files)."""
        frames = [pl.read_csv(f, infer_schema=False) for f in sorted((inbox / "sales").glob("*.csv"))]
        return pl.concat([f.select(pl.nth(0).alias("order_id"), pl.nth(4).str.slice(0, 10).alias("day"),
                                   pl.nth(2).alias("code")) for f in frames]).unique()

    full, observed = orders(tmp_path / "full" / "inbox"), orders(tmp_path / "cut" / "inbox")
    future = pl.read_parquet(tmp_path / "cut" / "truth" / "future_orders.parquet")
    assert observed["day"].max() <= cut.isoformat() < future["order_date"].min().isoformat()
    # the cut exports and the hidden future are exactly what the full exports hold
    assert set(observed["order_id"]) | set(future["order_id"]) == set(full["order_id"])
    assert set(observed["order_id"]).isdisjoint(future["order_id"])
    # the CRM export knows the ERP codes of customers who had bought by the cut, no later ones
    accounts = pl.read_csv(tmp_path / "cut" / "inbox" / "crm" / "客户列表_fxiaoke.csv", encoding="gbk",
                           infer_schema=False)
    crm_codes = set(accounts["关联ERP编码"].drop_nulls())
    assert crm_codes and crm_codes <= set(observed["code"])


def test_a_shortened_plan_that_ships_a_baseline_does_not_claim_a_learnt_model():
    """Seen on a short real log (horizon as long as the history): the learnt models lost to BG/NBD on
    the 67-day backtest and BG/NBD shipped, but the status said "Learnt from 67-day outcomes"."""
    from assets.analytics.churn.models import FittedChurnModel
    from assets.analytics.churn.training import TrainingPlan, _learned_health

    plan = TrainingPlan(date(1997, 10, 27), 300, 67, 299, shipped_cutoffs=(date(1997, 8, 21),) * 4)
    why = ("Not enough history for the 300-day horizon", "历史不足")
    baseline = FittedChurnModel("bgnbd_score", ["bgnbd_p_no_purchase"], None, label_horizon_days=67,
                                horizon_days=300)
    health = _learned_health(plan, baseline, why)
    assert "no learnt model beat the BG/NBD baseline, which is shipped" in health.message_en
    assert "Learnt from" not in health.message_en and "BG/NBD 基准" in health.message_zh
    learnt = FittedChurnModel("gradient_boosting", ["recency_days"], None, label_horizon_days=67, horizon_days=300)
    assert "Learnt from 67-day outcomes at 4 cutoffs instead" in _learned_health(plan, learnt, why).message_en
