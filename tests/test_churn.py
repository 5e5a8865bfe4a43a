"""Churn prediction: leak-free features and labels, hand-computed features, metrics, model choice,
scores, reasons, early warnings, saved models, checks and one materialisation."""

import dataclasses
import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from assets.analytics.churn import build_churn
from assets.analytics.churn_artefacts import load_churn_model, score_with_saved_model
from assets.analytics.churn_features import ChurnSettings, available_groups, build_features, feature_columns
from assets.analytics.churn_metrics import better, calibration_by_decile, churn_metrics, top_decile_lift
from assets.analytics.churn_models import fit_candidate
from assets.analytics.churn_training import early_warnings, run_churn, select_model
from checks.churn_checks import model_choice_outcomes, score_outcomes
from pipelines.settings import load_thresholds
from tests.churn_data import as_known_at, empty_core, insert, synthetic_core

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


def test_a_missing_source_removes_its_features_and_training_still_works(simulated):
    conn = synthetic_core(600, AS_OF)
    for table in ("interactions", "tickets", "surveys", "email_events", "opportunities"):
        conn.execute(f"DELETE FROM core.{table}")
    assert available_groups(conn, AS_OF) == ["purchases", "purchase_model"]
    run = run_churn(conn, AS_OF, SETTINGS)
    assert run.status == "ok" and run.shipped is not None
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
    assert run.status == "ok"
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


def test_too_little_history_trains_nothing_and_says_why():
    conn = synthetic_core(30, AS_OF)
    run = run_churn(conn, AS_OF, SETTINGS)
    assert run.shipped is None and run.scores is None
    assert "churn.min_training_customers" in run.status


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
    assert failed == ["expect_shipped_not_worse_than_recency_rule"]
    conn.execute("UPDATE analytics.churn_scores SET risk_tier = 'low' WHERE churn_probability >= 0.6")
    failed = [o.expectation for o in score_outcomes(conn, AS_OF, SETTINGS) if not o.success]
    assert failed == ["expect_tier_matches_cutoffs"]
