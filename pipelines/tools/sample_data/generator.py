"""Orchestration: simulate the customer base once, then write each requested source's exports and
the ground truth.

Every part of the simulation draws from its own random stream derived from the seed and a fixed
name (for example ``"sales/2025"``), so the same arguments always give byte-identical files, and
leaving a source out (``sources=("sales",)``) does not change what the other sources contain.
"""

from __future__ import annotations

import logging
import resource
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data.catalog import build_catalog
from pipelines.tools.sample_data.config import SOURCES, DirtRates, Volumes
from pipelines.tools.sample_data.crm import write_crm
from pipelines.tools.sample_data.customers import build_population
from pipelines.tools.sample_data.marketing import write_email
from pipelines.tools.sample_data.sales import simulate_sales, write_sales
from pipelines.tools.sample_data.service import write_service
from pipelines.tools.sample_data.timeline import Timeline, years_back
from pipelines.tools.sample_data.truth import (
    IDENTITY_SCHEMA,
    customers_truth,
    dirt_truth,
    future_orders_truth,
    history_dates,
    identity_part,
    write_manifest,
)
from pipelines.tools.sample_data.writers import OutputFile

LOG = logging.getLogger(__name__)


def _progress(step: str, began: float) -> None:
    """Log how far we are (elapsed seconds and peak memory so far); never written to any file."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    LOG.info("%-10s done after %6.1f s (peak memory %.0f MB)", step, time.perf_counter() - began, peak_mb)


@dataclass
class GenerationSummary:
    """What :func:`generate` wrote: inbox files (relative to the inbox, '/' separators), data rows per
    file, truth files with their rows, and how long it took (seconds; not written anywhere)."""

    files: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    truth_files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def random_streams(seed: int) -> Callable[[str], np.random.Generator]:
    """A factory of independent PCG64 generators, one per stream name, all derived from ``seed``."""
    if seed < 0:
        raise ValueError("the seed must be zero or positive")

    def rng_for(name: str) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, zlib.crc32(name.encode())])))

    return rng_for


def generate(
    out_dir: Path,
    truth_dir: Path,
    customers: int = 2000,
    seed: int = 7,
    end_date: date = date(2026, 6, 30),
    years: int = 3,
    dirt: DirtRates | None = None,
    sources: Iterable[str] = SOURCES,
    campaign_share: float = 0.15,
    volumes: Volumes | None = None,
    observed_until: date | None = None,
) -> GenerationSummary:
    """Write realistic CRM/ERP/helpdesk/e-mail exports for ``customers`` buyers (plus about 15% more
    prospects) into ``out_dir/<source>/`` and the ground truth into ``truth_dir``.

    ``sources`` selects which of sales, crm, service and email are written; ``dirt`` sets how messy
    the files are (default :class:`DirtRates`); ``campaign_share`` is the share of the mailing list each
    e-mail campaign goes to. Existing files with the same names are overwritten, other files are left
    alone.

    ``observed_until`` (a date in the history) cuts the exports at that day, as if they had been pulled
    then: nothing later, tickets and deals in the state they had then. The customers still live the
    whole history to ``end_date``, and every order after the cut goes to ``future_orders.parquet`` in
    the truth: the hidden future a prediction made on the exports can be judged on.
    """
    began = time.perf_counter()
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if years < 1:
        raise ValueError("years must be at least 1")
    wanted = set(sources)
    unknown = sorted(wanted - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown sources {unknown}; choose from {list(SOURCES)}")
    chosen = [s for s in SOURCES if s in wanted]
    rates = dirt or DirtRates()
    vol = replace(volumes or Volumes(), campaign_share=campaign_share)
    out_dir, truth_dir = Path(out_dir), Path(truth_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)

    rng_for = random_streams(seed)
    timeline = Timeline(years_back(end_date, years), end_date)
    population = build_population(rng_for("population"), timeline, customers, vol)
    # the writers see the history as known at the cut; the simulation (population, orders) spans it all
    observed = population if observed_until is None else replace(
        population, timeline=timeline.observed(observed_until))
    future: pl.DataFrame | None = None
    catalog = build_catalog(rng_for("catalog"))
    _progress("customers", began)

    files: list[OutputFile] = []
    logs: list[tuple[OutputFile, pl.DataFrame]] = []
    identity: list[pl.DataFrame] = []
    acc = population.accounts
    if "sales" in chosen:
        history = simulate_sales(rng_for("sales/simulation"), population, catalog, vol)
        if observed_until is not None:
            history, after = history.split_at(observed.timeline.end_of_last_day_s)
            future = future_orders_truth(population, after)
        written, sales_logs = write_sales(out_dir, observed, catalog, history, rates, rng_for)
        files += written
        logs += sales_logs
        buyers = np.unique(history.order_account)
        identity.append(identity_part("sales_order_lines", acc.get_column("sales_customer_code").gather(buyers),
                                      buyers, population))
        del history
        _progress("sales", began)
    if "crm" in chosen:
        written, crm_logs = write_crm(out_dir, observed, vol, rates, rng_for)
        files += written
        logs += crm_logs
        rows = np.flatnonzero(acc.get_column("crm_created_s").to_numpy() <= observed.timeline.end_of_last_day_s)
        identity.append(identity_part("crm_accounts", acc.get_column("crm_account_id").gather(rows), rows,
                                      population))
        _progress("crm", began)
    if "service" in chosen:
        written, service_logs, ids = write_service(out_dir, observed, vol, rates, rng_for)
        files += written
        logs += service_logs
        for kind in ("service_tickets", "service_nps"):
            frame = ids[kind]
            identity.append(identity_part(kind, frame.get_column("source_key"), frame.get_column("row").to_numpy(),
                                          population))
        _progress("service", began)
    if "email" in chosen:
        written, email_logs, ids = write_email(out_dir, observed, vol, rates, rng_for)
        files += written
        logs += email_logs
        identity.append(identity_part("email_events", ids.get_column("source_key").str.to_lowercase(),
                                      ids.get_column("row").to_numpy(), population))
        _progress("email", began)

    customers_frame = customers_truth(population)
    identity_frame = (pl.concat(identity, how="vertical") if identity else pl.DataFrame(schema=IDENTITY_SCHEMA))
    dirt_frame = dirt_truth(logs, vol.max_rows_per_sheet)
    customers_frame.write_parquet(truth_dir / "customers.parquet")
    identity_frame.write_parquet(truth_dir / "identity.parquet")
    dirt_frame.write_parquet(truth_dir / "dirt.parquet")
    truth_rows = {"customers.parquet": customers_frame.height, "identity.parquet": identity_frame.height,
                  "dirt.parquet": dirt_frame.height}
    if future is not None:
        future.write_parquet(truth_dir / "future_orders.parquet")
        truth_rows["future_orders.parquet"] = future.height
    manifest = {
        "generator": "pipelines.tools.sample_data",
        "arguments": {
            "customers": customers,
            "seed": seed,
            "end_date": end_date.isoformat(),
            "years": years,
            "sources": chosen,
            "campaign_share": campaign_share,
            **({"observed_until": observed_until.isoformat()} if observed_until is not None else {}),
        },
        "history": history_dates(population),
        "accounts": {"customers": population.customers, "prospects": acc.height - population.customers,
                     "newsletter_only_addresses": population.newsletter_emails.len()},
        "dirt_rates": rates.as_dict(),
        "volumes": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(vol).items()},
        "files": [f.as_dict() for f in sorted(files, key=lambda f: f.path)],
        "truth_files": truth_rows,
    }
    write_manifest(truth_dir / "manifest.json", manifest)
    _progress("truth", began)
    return GenerationSummary(
        files=[f.path for f in files],
        row_counts={f.path: f.rows for f in files},
        truth_files=truth_rows,
        seconds=time.perf_counter() - began,
    )
