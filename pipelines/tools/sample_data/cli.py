"""Command line: ``python -m pipelines.tools.sample_data --customers 2000 --seed 7 --out data/inbox``.

Writes sample exports into ``<out>/<source>/`` and the ground truth into ``--truth`` (by default a
``truth`` folder next to the inbox), then prints what was written.
"""

from __future__ import annotations

import argparse
import logging
import sys
import unicodedata
from datetime import date
from pathlib import Path

from pipelines.tools.sample_data.config import SOURCES, DirtRates
from pipelines.tools.sample_data.generator import generate


def _sources(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose sources among {','.join(SOURCES)}")
    return names


def _width(text: str) -> int:
    """Display width of text in a terminal (Chinese characters take two columns)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.tools.sample_data",
        description="Generate realistic, deliberately dirty CRM/ERP/helpdesk/e-mail exports plus ground truth.",
    )
    parser.add_argument("--customers", type=int, default=2000, help="number of buying customers (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed; same seed, same files (default 7)")
    parser.add_argument("--out", type=Path, required=True, help="inbox folder to write the exports into")
    parser.add_argument("--truth", type=Path, default=None, help="ground-truth folder (default <out>/../truth)")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 6, 30),
                        help="last day of the history, YYYY-MM-DD (default 2026-06-30)")
    parser.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    parser.add_argument("--observed-until", type=date.fromisoformat, default=None,
                        help="cut the exports at this date, YYYY-MM-DD; later orders go to the truth's "
                             "future_orders.parquet (default: no cut)")
    parser.add_argument("--dirt-scale", type=float, default=1.0,
                        help="multiply every dirt rate by this (0 = clean files; default 1.0)")
    parser.add_argument("--sources", type=_sources, default=list(SOURCES),
                        help="comma-separated subset of sales,crm,service,email (default all)")
    parser.add_argument("--campaign-share", type=float, default=0.15,
                        help="share of the mailing list each e-mail campaign goes to (default 0.15)")
    parser.add_argument("--quiet", action="store_true", help="do not report progress on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the generator from the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        logging.getLogger("pipelines.tools.sample_data").setLevel(logging.INFO)
    truth = args.truth if args.truth is not None else args.out.parent / "truth"
    summary = generate(
        out_dir=args.out,
        truth_dir=truth,
        customers=args.customers,
        seed=args.seed,
        end_date=args.end_date,
        years=args.years,
        dirt=DirtRates().scaled(args.dirt_scale),
        sources=args.sources,
        campaign_share=args.campaign_share,
        observed_until=args.observed_until,
    )
    width = max(_width(f) for f in [*summary.files, *summary.truth_files])
    print(f"Inbox: {args.out.resolve()}")
    for path in summary.files:
        print(f"  {_pad(path, width)}  {summary.row_counts[path]:>12,} rows")
    print(f"Truth: {truth.resolve()}")
    for name, rows in summary.truth_files.items():
        print(f"  {_pad(name, width)}  {rows:>12,} rows")
    print(f"Done in {summary.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
