"""Saving the shipped churn model with its metrics and a model card, and scoring with a saved model
without re-training.

Each run writes ``<models>/churn/<as_of>/`` and refreshes ``<models>/churn/latest/``:

- ``churn_model.joblib``: the fitted model, the features it reads, the settings and windows it was
  trained with (load it with ``load_churn_model``; joblib files run code when loaded, so only load
  files this pipeline wrote);
- ``metrics.json``: every candidate's backtest metrics and which one shipped;
- ``model_card.md``: what the model is, the data windows, the features, the metrics, the date.

Each file is written under a temporary name and renamed, so a killed run never leaves half a file.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb
import joblib
import polars as pl
import sklearn

from assets.analytics.churn.features import GROUP_OF_FEATURE
from assets.analytics.churn.models import BASELINES, FALLBACKS, FittedChurnModel, coefficients
from assets.analytics.churn.settings import ChurnSettings
from assets.analytics.churn.training import ChurnRun, FeatureStore, TrainingPlan, score_customers
from assets.common.files import write_atomically

MODEL_FILE = "churn_model.joblib"
METRICS_FILE = "metrics.json"
CARD_FILE = "model_card.md"


@dataclass
class ChurnArtefact:
    """A saved churn model and what it was trained on."""

    model: FittedChurnModel
    settings: ChurnSettings
    as_of: date
    windows: dict[str, str | int | list[str] | None]
    metrics: list[dict]
    sklearn_version: str


def _windows(run: ChurnRun) -> dict[str, str | int | list[str] | None]:
    plan = run.plan
    return {"as_of": plan.as_of.isoformat(), "horizon_days": plan.horizon_days,
            "label_horizon_days": plan.label_horizon_days,
            "backtest_test_cutoff": plan.test_cutoff.isoformat() if plan.test_cutoff else None,
            "backtest_training_cutoffs": [c.isoformat() for c in plan.backtest_cutoffs],
            "shipped_training_cutoffs": [c.isoformat() for c in plan.shipped_cutoffs]}


def model_card(run: ChurnRun, settings: ChurnSettings) -> str:
    """A one-page description of the shipped model in Markdown."""
    assert run.shipped is not None
    plan = run.plan
    shipped = run.shipped
    h = plan.label_horizon_days
    if shipped.name in FALLBACKS:
        kind = " (a label-free fallback: nothing could be learnt)"
    elif shipped.name in BASELINES:
        kind = " (a baseline: no machine-learning candidate beat it on the backtest)"
    else:
        kind = ""
    windows = [f"- Status: {run.health.message_en}"]
    if plan.test_cutoff is not None:
        cutoffs = ", ".join(str(c) for c in plan.backtest_cutoffs)
        windows.append(f"- Backtest: trained on the customers at {cutoffs}, each labelled by the {h} days after it; "
                       f"judged on the customers at {plan.test_cutoff} with outcomes in "
                       f"({plan.test_cutoff}, {plan.as_of}].")
    if shipped.training_rows:
        windows.append(f"- Shipped model: re-trained on the customers at "
                       f"{', '.join(str(c) for c in plan.shipped_cutoffs)}: {shipped.training_rows} rows, churn rate "
                       f"{shipped.training_churn_rate:.1%}"
                       + (f"; {h}-day probabilities moved to {plan.horizon_days} days with BG/NBD." if shipped.rescaled
                          else "."))
    lines = [
        f"# Churn model card — as of {plan.as_of.isoformat()}",
        "",
        f"**Shipped model:** `{shipped.name}`{kind}",
        "",
        f"**Churn** = no completed purchase in the {settings.horizon_days} days after the scoring date.",
        "",
        "## Data windows",
        *windows,
        f"- Scores: features at {plan.as_of}; customers who bought in the {settings.population_days} days before it.",
        "",
        f"## Backtest metrics (model chosen by `{settings.selection_metric}`)",
        "",
        "| model | ROC AUC | PR AUC | Brier score | top-decile lift |",
        "|---|---:|---:|---:|---:|",
    ]
    by_model: dict[str, dict[str, float]] = {}
    for m in run.metrics:
        by_model.setdefault(m["model"], {})[m["metric"]] = float("nan") if m["value"] is None else m["value"]
    for name, values in by_model.items():
        mark = " **(shipped)**" if name == shipped.name else ""
        lines.append(f"| {name}{mark} | {values.get('roc_auc', float('nan')):.3f} | "
                     f"{values.get('pr_auc', float('nan')):.3f} | {values.get('brier_score', float('nan')):.3f} | "
                     f"{values.get('top_decile_lift', float('nan')):.2f} |")
    lines += ["", "## Features", ""]
    lines += [f"- `{f}` ({GROUP_OF_FEATURE.get(f, '?')})" for f in shipped.features]
    coefs = coefficients(shipped)
    if coefs:
        lines += ["", "## Largest standardised coefficients (logistic regression)", ""]
        lines += [f"- `{name}`: {value:+.3f}" for name, value in coefs[:10]]
    lines += ["", f"Trained with scikit-learn {sklearn.__version__}.", ""]
    return "\n".join(lines)


def save_churn_artefacts(models_dir: str | Path, run: ChurnRun, settings: ChurnSettings) -> Path | None:
    """Write the model, metrics and card to ``<models>/churn/<as_of>/`` and ``latest/``; return the
    dated folder (None when no model was trained)."""
    if run.shipped is None:
        return None
    as_of = run.plan.as_of
    artefact = ChurnArtefact(model=run.shipped, settings=settings, as_of=as_of, windows=_windows(run),
                             metrics=run.metrics, sklearn_version=sklearn.__version__)
    buffer = io.BytesIO()
    joblib.dump(artefact, buffer)
    metrics = json.dumps({"shipped_model": run.shipped.name, "selection_metric": settings.selection_metric,
                          "windows": artefact.windows, "settings": asdict(settings), "metrics": run.metrics},
                         indent=2, sort_keys=True, allow_nan=True)
    files = {MODEL_FILE: buffer.getvalue(), METRICS_FILE: metrics.encode(),
             CARD_FILE: model_card(run, settings).encode()}
    root = Path(models_dir) / "churn"
    dated = root / as_of.isoformat()
    for folder in (dated, root / "latest"):
        for name, data in files.items():
            write_atomically(folder / name, data)
    return dated


def load_churn_model(path: str | Path) -> ChurnArtefact:
    """Load a saved churn model: a ``churn_model.joblib`` file or the folder holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    artefact = joblib.load(path)
    if not isinstance(artefact, ChurnArtefact):
        raise ValueError(f"{path} is not a churn model saved by this pipeline")
    return artefact


def score_with_saved_model(conn: duckdb.DuckDBPyConnection, artefact: ChurnArtefact, as_of: date) -> pl.DataFrame:
    """Score every customer at ``as_of`` with a saved model, without re-training: the same columns
    as the probability, tier, reasons and warnings of analytics.churn_scores."""
    model = artefact.model
    plan = TrainingPlan(as_of, model.horizon_days or artefact.settings.horizon_days,
                        model.label_horizon_days, 0)
    frame = FeatureStore(conn, artefact.settings).scoring_frame(plan, label_free=model.name in FALLBACKS)
    missing = [f for f in model.features if f not in frame.columns]
    if missing:
        raise ValueError(f"the saved model needs features the warehouse cannot provide at {as_of}: {missing}")
    return score_customers(model, frame, artefact.settings)
