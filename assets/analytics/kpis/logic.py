"""Monthly KPIs as DuckDB SQL (sql/kpis_monthly.sql): one row per (month, KPI) with the change against
the previous month and against the same month a year earlier.

Conventions shared by every KPI:

* **Months** run from the first month in which any source has a record (a completed, refunded or
  cancelled order, a ticket, a survey answer, an e-mail event, an opportunity created or closed) to
  the month of the as-of date. Nothing dated after the as-of date counts.
* **period_end** is the last day of the month, or the as-of date in the as-of month. The as-of month
  is flagged ``is_partial_month`` unless the as-of date is the last day of its month. Stock figures
  (customers, pipeline) are measured on ``period_end``; flows (new, orders, revenue...) count what
  is dated from the first of the month to ``period_end``.
* **Sources and NULL**: every KPI belongs to one source (sales, service_tickets, service_nps,
  email, crm_opportunities). Before the month of a source's first record, and throughout when the
  source is empty, its KPIs are NULL: a missing export is not a CSAT of 0. Inside a source's months,
  counts and sums without events are 0, and a ratio, mean or median with nothing to divide is NULL.
* **numerator / denominator**: the two numbers a ratio, mean or NPS is computed from (value =
  numerator ÷ denominator; NPS ×100). For medians, the denominator is how many values the median is
  taken over; for pipeline, how many opportunities are open. Plain counts and sums leave them empty.
* **Changes**: ``change_vs_previous_month`` = value − previous month's value and
  ``change_vs_last_year`` = value − value of the same month a year earlier (for rates these are
  changes in ratio points: 0.05 = 5 percentage points). ``relative_change_*`` = value ÷ earlier
  value − 1, only for counts and CNY amounts (NULL for ratios, scores and hours, and when the
  earlier value is 0 or NULL).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import duckdb

from assets.common.sql import SqlFolder

UNITS = ("count", "ratio", "CNY", "hours", "score")
RELATIVE_CHANGE_UNITS = ("count", "CNY")
SOURCES = ("sales", "service_tickets", "service_nps", "email", "crm_opportunities")

SQL = SqlFolder(__file__)


@dataclass(frozen=True)
class Kpi:
    """One KPI: its name, unit, source, how it is computed from the monthly facts, and its meaning
    (one ``[[kpi]]`` entry of catalog.toml).

    ``value``, ``numerator`` and ``denominator`` name columns of the monthly facts (``_kpi_facts``,
    plus ``net_promoters`` = promoters − detractors and ``closed_opportunities`` = won + lost, see
    sql/kpis_monthly.sql). ``value`` is the column shown as the value; without one the value is
    ``scale`` × numerator ÷ denominator (NULL when the denominator is 0). ``definition`` may contain
    ``{churn_days}``, ``{window_days}``, ``{return_gap_days}`` and ``{mailing}``.
    """

    name: str
    unit: str
    source: str
    label_en: str
    label_zh: str
    definition: str
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    scale: int = 1



def _read_catalog(path: Path) -> tuple[str, tuple[Kpi, ...]]:
    with path.open("rb") as handle:
        catalog = tomllib.load(handle)
    kpis = []
    for position, entry in enumerate(catalog["kpi"], start=1):
        unknown = sorted(set(entry) - {f.name for f in fields(Kpi)})
        if unknown:
            raise ValueError(f"{path.name}: KPI {position} ({entry.get('name')}) has unknown keys: "
                             f"{', '.join(unknown)}")
        kpi = Kpi(**entry)
        if kpi.unit not in UNITS or kpi.source not in SOURCES:
            raise ValueError(f"{path.name}: KPI {kpi.name} has unit {kpi.unit!r} / source {kpi.source!r}; "
                             f"units are {', '.join(UNITS)}, sources {', '.join(SOURCES)}")
        kpis.append(kpi)
    return catalog["mailing"], tuple(kpis)


_MAILING_DEFINITION, KPIS = _read_catalog(Path(__file__).with_name("catalog.toml"))

KPI_NAMES = tuple(k.name for k in KPIS)


def definition_text(kpi: Kpi, churn_days: int) -> str:
    """The KPI's definition with the settings values filled in."""
    return kpi.definition.format(churn_days=churn_days, window_days=churn_days + 1,
                                 return_gap_days=churn_days + 2, mailing=_MAILING_DEFINITION)


def build_kpis_monthly(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpis_monthly from the core tables as of the given date."""
    try:
        SQL.run(conn, "kpis_monthly", {"kpis": KPIS}, as_of=as_of, churn_days=churn_days,
                kpi_names=list(KPI_NAMES), kpi_units=[k.unit for k in KPIS],
                relative_change_units=list(RELATIVE_CHANGE_UNITS))
    finally:
        SQL.run(conn, "drop_kpi_temp_tables")


def kpi_definition_rows(churn_days: int) -> list[tuple]:
    """(position, kpi, label_en, label_zh, unit, source, definition) for every KPI, in table order."""
    return [(i + 1, k.name, k.label_en, k.label_zh, k.unit, k.source, definition_text(k, churn_days))
            for i, k in enumerate(KPIS)]


def build_kpi_definitions(conn: duckdb.DuckDBPyConnection, as_of: date, churn_days: int) -> None:
    """Rebuild analytics.kpi_definitions: one row per KPI with its unit, source and definition."""
    positions, kpis, labels_en, labels_zh, units, sources, definitions = (
        list(column) for column in zip(*kpi_definition_rows(churn_days), strict=True))
    SQL.run(conn, "kpi_definitions", as_of=as_of, positions=positions, kpis=kpis, labels_en=labels_en,
            labels_zh=labels_zh, units=units, sources=sources, definitions=definitions)
