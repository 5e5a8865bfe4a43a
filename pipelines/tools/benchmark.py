"""Benchmark: generate sample exports at two sizes and run the whole pipeline on each.

``python -m pipelines.tools.benchmark --customers 100000`` (``make bench``) prints seconds, rows per second
and the ratio between the two sizes (10x the customers should cost about 10x the time, not more),
then measures the reports of the larger run (size, and load time in headless Chromium), times
the prediction steps on their own: the churn backtest and scoring on the larger warehouse, and the
CLV model fit on one million simulated customers; and ends with the churn model-quality table.
The machine is shared and noisy, so compare ratios measured in one run, not absolute seconds.

``python -m pipelines.tools.benchmark --model-quality`` runs only the model-quality part: for a short
(9 months, horizon = the whole history), a medium (2 years) and a long (5 years) history it
generates exports that stop at an observation date while the customers live on, runs the pipeline
on the exports alone, and judges the recency rule, BG/NBD and the shipped churn score on what the
customers really did in the horizon after that date (the generator's hidden future).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from assets.common.settings import SHIPPED_SETTINGS_FILE, PathSettings
from pipelines.cli import run_everything
from pipelines.tools.sample_data import generate
from pipelines.tools.sample_data.timeline import years_back


def measure(root: Path, customers: int, seed: int) -> dict[str, float]:
    """Generate ``customers`` customers under ``root`` and run the pipeline; return timings."""
    if root.exists():
        shutil.rmtree(root)
    started = time.perf_counter()
    generate(root / "inbox", root / "truth", customers=customers, seed=seed)
    generated = time.perf_counter()
    paths = PathSettings(
        inbox_dir=str(root / "inbox"),
        warehouse_path=str(root / "warehouse.duckdb"),
        reports_dir=str(root / "reports"),
    )
    if not run_everything(paths):
        raise SystemExit(f"pipeline failed at {customers} customers")
    finished = time.perf_counter()
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        lines = conn.execute("SELECT count(*) FROM raw.sales_order_lines").fetchone()[0]
    return {
        "customers": customers,
        "order_lines": lines,
        "generate_s": generated - started,
        "pipeline_s": finished - generated,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024,
    }


def synthetic_clv_customers(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """n customers drawn from a BG/NBD world (r = 0.5, alpha = 60 days, a = 0.8, b = 2.5) with
    Gamma-Gamma spend (p = 6, q = 3.7, gamma = 15): frequency, recency and age in days, mean spend."""
    rng = np.random.default_rng(seed)
    big_t = rng.integers(1, 731, n).astype(float)
    lam, drop = rng.gamma(0.5, 1 / 60, n), rng.beta(0.8, 2.5, n)
    x, t_x, clock, alive = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, bool)
    for _ in range(200):
        nxt = clock + rng.exponential(1 / np.maximum(lam, 1e-12))
        bought = alive & (nxt <= big_t)
        x[bought] += 1
        t_x[bought] = np.floor(nxt[bought])
        clock = np.where(bought, nxt, clock)
        alive &= bought & (rng.random(n) >= drop)
    nu = rng.gamma(3.7, 1 / 15, n)
    zbar = np.where(x > 0, rng.gamma(6 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), 0.0)
    return {"x": x, "t_x": t_x, "big_t": big_t, "zbar": zbar}


def time_clv_fit(n: int) -> float:
    """Seconds to fit BG/NBD and Gamma-Gamma on n simulated customers (simulation not counted)."""
    from assets.analytics.clv.model import fit_bgnbd, fit_gamma_gamma

    data = synthetic_clv_customers(n)
    started = time.perf_counter()
    bg = fit_bgnbd(data["x"], data["t_x"] / 7, data["big_t"] / 7)
    gg = fit_gamma_gamma(data["x"], data["zbar"])
    seconds = time.perf_counter() - started
    if not (bg.success and gg.success):
        raise SystemExit(f"CLV fit failed on {n:,} simulated customers: {bg.message}; {gg.message}")
    return seconds


def time_churn(warehouse_path: str) -> tuple[float, str]:
    """Seconds for the churn backtest (four candidates), choice and scoring on a built warehouse."""
    from assets.analytics.churn.settings import ChurnSettings
    from assets.analytics.churn.training import run_churn
    from assets.common.resources import PipelineSettings

    settings = PipelineSettings(inbox_dir="", reports_dir="")  # shipped rules, as-of from the data
    with duckdb.connect(warehouse_path) as conn:
        run_context = settings.run_context(conn)
        started = time.perf_counter()
        run = run_churn(conn, run_context.as_of, ChurnSettings.from_thresholds(run_context.rules))
        seconds = time.perf_counter() - started
    scored = run.scores.height if run.scores is not None else 0
    rows = run.shipped.training_rows if run.shipped else 0
    return seconds, (f"{scored:,} customers scored, shipped {run.shipped.name if run.shipped else 'none'} "
                     f"trained on {rows:,} rows from {len(run.plan.shipped_cutoffs)} cutoffs")


def time_reports(reports_dir: Path) -> list[str]:
    """Size of every report page in ``<reports>/latest/`` and the time headless Chromium takes to
    fire its load event (charts drawn), opened from file:// with the network blocked."""
    from pipelines.tools.screenshot import CHROMIUM_PATH, launch_chromium, offline_only

    pages = sorted((reports_dir / "latest").glob("*.*.html"))
    if not Path(CHROMIUM_PATH).exists():
        return [f"{p.name}: {p.stat().st_size / 1e6:.2f} MB (load time not measured: run `make browser`)"
                for p in pages]
    from playwright.sync_api import sync_playwright

    lines = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for page_path in pages:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.route("**/*", offline_only)
                page.goto(page_path.resolve().as_uri(), wait_until="load", timeout=120_000)
                load_ms = page.evaluate("() => { const t = performance.getEntriesByType('navigation')[0]; "
                                        "return t.loadEventEnd - t.startTime; }")
                page.close()
                lines.append(f"{page_path.name}: {page_path.stat().st_size / 1e6:.2f} MB, "
                             f"load {load_ms / 1000:.1f} s")
        finally:
            browser.close()
    return lines


@dataclass(frozen=True)
class HistoryCase:
    """One model-quality history: ``observed_months`` of exports (cut at the observation date) inside
    a simulation of ``simulated_years`` that continues past it; ``horizon_days`` None = the whole
    observed history."""

    name: str
    observed_months: int
    simulated_years: int
    horizon_days: int | None


MODEL_QUALITY_CASES = (HistoryCase("short", 9, 2, None), HistoryCase("medium", 24, 3, 90),
                       HistoryCase("long", 60, 6, 90))
MODEL_QUALITY_END = date(2026, 6, 30)


def _months_after(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, day.day)


def settings_with_horizon(path: Path, horizon_days: int) -> Path:
    """A copy of the shipped settings file with ``[churn] horizon_days`` replaced."""
    text = SHIPPED_SETTINGS_FILE.read_text(encoding="utf-8")
    start = text.index("\n[churn]")
    end = text.find("\n[", start + 1)
    section = re.sub(r"(?m)^horizon_days = \d+$", f"horizon_days = {horizon_days}", text[start:end])
    path.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return path


def hidden_future_labels(conn: duckdb.DuckDBPyConnection, future_orders: Path, as_of: date,
                         horizon_days: int) -> pl.DataFrame:
    """customer_id (the pipeline's) and churned = 1 when the customer made no completed purchase in the
    horizon after the as-of date, read from the generator's hidden future."""
    return conn.sql("""
        WITH bought AS (
            SELECT DISTINCT m.customer_id FROM read_parquet($future) f
            JOIN core.identity_map m ON m.source = 'sales_order_lines' AND m.source_key = f.sales_customer_code
            WHERE f.status = 'completed' AND f.order_date > $as_of AND f.order_date <= $end)
        SELECT s.customer_id, (b.customer_id IS NULL)::INTEGER AS churned
        FROM analytics.churn_scores s LEFT JOIN bought b USING (customer_id) ORDER BY s.customer_id""",
                    params={"future": str(future_orders), "as_of": as_of,
                            "end": as_of + timedelta(days=horizon_days)}).pl()


def judge_on_the_future(conn: duckdb.DuckDBPyConnection, future_orders: Path, as_of: date,
                        horizon_days: int) -> dict:
    """ROC AUC and PR AUC of the recency rule (days since the last purchase), BG/NBD (its probability
    of no purchase in the horizon, fitted at the as-of date) and the shipped churn score, on the
    customers the pipeline scored, against the hidden future."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from assets.analytics.churn.features import fit_purchase_model

    scores = conn.sql("SELECT customer_id, days_since_last_purchase, churn_probability, model "
                      "FROM analytics.churn_scores ORDER BY customer_id").pl()
    model = fit_purchase_model(conn, as_of)
    bgnbd = (model.summary.select("customer_id").with_columns(
        pl.Series("bgnbd", model.no_purchase_probability(horizon_days)))
        if model is not None else pl.DataFrame(schema={"customer_id": pl.Utf8, "bgnbd": pl.Float64}))
    frame = (scores.join(hidden_future_labels(conn, future_orders, as_of, horizon_days), on="customer_id")
             .join(bgnbd, on="customer_id", how="left"))
    y = frame["churned"].to_numpy()
    result = {"customers": frame.height, "churn_rate": float(y.mean()) if y.size else float("nan"),
              "model": scores["model"][0] if scores.height else "none"}
    for name, column in (("recency_rule", "days_since_last_purchase"), ("bgnbd", "bgnbd"),
                         ("shipped", "churn_probability")):
        score = frame[column].cast(pl.Float64).fill_null(0.5).to_numpy()
        both = 0 < y.sum() < y.size
        result[name] = (float(roc_auc_score(y, score)) if both else float("nan"),
                        float(average_precision_score(y, score)) if both else float("nan"))
    return result


def measure_model_quality(root: Path, case: HistoryCase, customers: int, seed: int) -> dict:
    """Generate one history with a hidden future, run the pipeline up to the churn scores on the cut
    exports, and judge the scores on the future."""
    from dagster import AssetKey, AssetSelection, materialize

    from pipelines.definitions import ALL_ASSETS, build_resources

    folder = root / case.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = years_back(MODEL_QUALITY_END, case.simulated_years)
    as_of = _months_after(start, case.observed_months) - timedelta(days=1)
    horizon = case.horizon_days or (as_of - start).days + 1
    started = time.perf_counter()
    generate(folder / "inbox", folder / "truth", customers=customers, seed=seed, end_date=MODEL_QUALITY_END,
             years=case.simulated_years, observed_until=as_of)
    paths = PathSettings(inbox_dir=str(folder / "inbox"), warehouse_path=str(folder / "warehouse.duckdb"),
                         reports_dir=str(folder / "reports"), models_dir=str(folder / "models"),
                         as_of=as_of.isoformat(),
                         settings_file=str(settings_with_horizon(folder / "settings.toml", horizon)))
    churn = AssetSelection.assets(AssetKey(["analytics", "churn_scores"]))
    result = materialize(ALL_ASSETS, resources=build_resources(paths),
                         selection=churn.upstream().required_multi_asset_neighbors())
    if not result.success:
        raise SystemExit(f"the pipeline failed on the {case.name} history")
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        judged = judge_on_the_future(conn, folder / "truth" / "future_orders.parquet", as_of, horizon)
        label_days, status = conn.execute("SELECT any_value(label_horizon_days), any_value(status) "
                                          "FROM analytics.churn_model_metrics").fetchall()[0]
    return {**judged, "case": case, "as_of": as_of, "history_days": (as_of - start).days + 1,
            "horizon": horizon, "label_days": label_days, "status": status,
            "seconds": time.perf_counter() - started}


def model_quality_table(rows: list[dict]) -> list[str]:
    """The model-quality results as a Markdown table."""
    lines = ["| history | horizon | scored | churn rate | ROC AUC recency / BG/NBD / shipped | "
             "PR AUC recency / BG/NBD / shipped | shipped − best baseline (ROC AUC) | shipped model |",
             "|---|---:|---:|---:|---|---|---:|---|"]
    for r in rows:
        best = max(r["recency_rule"][0], r["bgnbd"][0])
        auc = " / ".join(f"{r[k][0]:.3f}" for k in ("recency_rule", "bgnbd", "shipped"))
        pr = " / ".join(f"{r[k][1]:.3f}" for k in ("recency_rule", "bgnbd", "shipped"))
        learnt = f"{r['model']} ({r['label_days']}-day labels)" if r["label_days"] else r["model"]
        lines.append(f"| {r['case'].name}: {r['history_days']} days to {r['as_of']} | {r['horizon']} d | "
                     f"{r['customers']:,} | {r['churn_rate']:.1%} | {auc} | {pr} | {r['shipped'][0] - best:+.3f} | "
                     f"{learnt} |")
    return lines


def run_model_quality(root: Path, customers: int, seed: int) -> None:
    """Measure and print the model-quality table (about a minute per history at 20,000 customers)."""
    rows = []
    for case in MODEL_QUALITY_CASES:
        rows.append(measure_model_quality(root, case, customers, seed))
        r = rows[-1]
        print(f"{case.name}: {r['seconds']:.0f} s; {r['status']}", flush=True)
    print(f"churn model quality on the hidden future ({customers:,} simulated customers per history, seed {seed}):")
    for line in model_quality_table(rows):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000, help="customers at the larger size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default="data/bench", help="scratch folder (deleted and recreated)")
    parser.add_argument("--clv-customers", type=int, default=1_000_000, help="customers for the CLV fit timing")
    parser.add_argument("--model-quality", action="store_true",
                        help="only the churn model-quality table on short, medium and long histories")
    parser.add_argument("--quality-customers", type=int, default=20_000,
                        help="simulated customers per model-quality history")
    args = parser.parse_args()
    if args.model_quality:
        run_model_quality(Path(args.dir) / "model_quality", args.quality_customers, args.seed)
        return

    small = measure(Path(args.dir) / "small", max(args.customers // 10, 100), args.seed)
    large = measure(Path(args.dir) / "large", args.customers, args.seed)
    for result in (small, large):
        print(
            f"{result['customers']:>9,} customers, {result['order_lines']:>11,} order lines: "
            f"generate {result['generate_s']:7.1f} s, pipeline {result['pipeline_s']:7.1f} s "
            f"({result['order_lines'] / result['pipeline_s']:,.0f} lines/s), peak RSS so far "
            f"{result['peak_rss_gb']:.1f} GB"
        )
    size_ratio = large["order_lines"] / small["order_lines"]
    print(f"10x size ratio: data {size_ratio:.1f}x, generate {large['generate_s'] / small['generate_s']:.1f}x, "
          f"pipeline {large['pipeline_s'] / small['pipeline_s']:.1f}x")
    print(f"reports at {args.customers:,} customers (target: each < 10 MB, loads in < 3 s):")
    for line in time_reports(Path(args.dir) / "large" / "reports"):
        print("  " + line)
    churn_s, churn_note = time_churn(str(Path(args.dir) / "large" / "warehouse.duckdb"))
    print(f"churn backtest + scoring at {args.customers:,} customers: {churn_s:.1f} s "
          f"({churn_s / large['pipeline_s']:.0%} of the pipeline; {churn_note})")
    clv_s = time_clv_fit(args.clv_customers)
    print(f"CLV fit (BG/NBD + Gamma-Gamma) on {args.clv_customers:,} simulated customers: {clv_s:.1f} s "
          f"({clv_s / large['pipeline_s']:.0%} of the {args.customers:,}-customer pipeline)")
    run_model_quality(Path(args.dir) / "model_quality", args.quality_customers, args.seed)


if __name__ == "__main__":
    main()
