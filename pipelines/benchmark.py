"""Benchmark: generate sample exports at two sizes and run the whole pipeline on each.

``python -m pipelines.benchmark --customers 100000`` (``make bench``) prints seconds, rows per second
and the ratio between the two sizes (10x the customers should cost about 10x the time, not more).
The machine is shared and noisy, so compare ratios measured in one run, not absolute seconds.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time
from pathlib import Path

import duckdb

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000, help="customers at the larger size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default="data/bench", help="scratch folder (deleted and recreated)")
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


if __name__ == "__main__":
    main()
