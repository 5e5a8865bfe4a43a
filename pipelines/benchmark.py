"""Benchmark: generate sample exports at two sizes and run the whole pipeline on each.

``python -m pipelines.benchmark --customers 100000`` (``make bench``) prints seconds, rows per second
and the ratio between the two sizes (10x the customers should cost about 10x the time, not more),
then measures the reports of the larger run (size, and load time in headless Chromium), and times
the prediction steps on their own: the churn backtest and scoring on the larger warehouse, and the
CLV model fit on one million simulated customers.
The machine is shared and noisy, so compare ratios measured in one run, not absolute seconds.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np

from pipelines.cli import run_everything
from pipelines.sample_data import generate
from pipelines.settings import PathSettings


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
    from assets.analytics.clv_model import fit_bgnbd, fit_gamma_gamma

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
    from assets.analytics.churn_features import ChurnSettings
    from assets.analytics.churn_training import run_churn
    from assets.as_of import resolve_as_of
    from pipelines.settings import load_thresholds

    with duckdb.connect(warehouse_path) as conn:
        as_of = resolve_as_of(conn, None)
        started = time.perf_counter()
        run = run_churn(conn, as_of, ChurnSettings.from_thresholds(load_thresholds()))
        seconds = time.perf_counter() - started
    scored = run.scores.height if run.scores is not None else 0
    return seconds, f"{scored:,} customers scored, shipped {run.shipped.name if run.shipped else 'none'}"


def time_reports(reports_dir: Path) -> list[str]:
    """Size of every report page in ``<reports>/latest/`` and the time headless Chromium takes to
    fire its load event (charts drawn), opened from file:// with the network blocked."""
    from reports.screenshot import CHROMIUM_PATH, launch_chromium, offline_only

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000, help="customers at the larger size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default="data/bench", help="scratch folder (deleted and recreated)")
    parser.add_argument("--clv-customers", type=int, default=1_000_000, help="customers for the CLV fit timing")
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
