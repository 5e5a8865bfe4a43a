"""Customer service: helpdesk tickets (Zoho-Desk-style Excel workbook) and NPS survey answers.

The service desk does not know customer codes: a ticket or survey answer carries either the
customer's phone (about 60%) or e-mail address (about 40%).

* Tickets (``service/tickets.xlsx``): about one every three years per active customer, two and a half
  times as many while a customer drifts towards churn, and then mostly complaints with lower
  satisfaction. Recent tickets may still be open or pending. CSAT (1-5) is answered for about two
  thirds of the resolved/closed tickets. Date cells are real Excel dates (about 70%) or ISO text.
* NPS (``service/nps_survey.csv``): about one answer every five years per active customer; drifting
  customers score lower (more detractors).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data import dirt as d
from pipelines.tools.sample_data.config import (
    TICKET_CATEGORIES,
    TICKET_CATEGORY_WEIGHTS,
    TICKET_CATEGORY_WEIGHTS_DRIFT,
    TICKET_CHANNELS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    DirtRates,
    Volumes,
)
from pipelines.tools.sample_data.customers import Population
from pipelines.tools.sample_data.timeline import SECONDS_PER_DAY, sample_timed_events
from pipelines.tools.sample_data.writers import (
    CELL_BLANK,
    CELL_DATE,
    CELL_NUMBER,
    CELL_TEXT,
    SERVICE_NPS,
    SERVICE_TICKETS,
    OutputFile,
    write_csv,
    write_xlsx,
    xlsx_column,
)

COMMENTS_PROMOTER: tuple[str, ...] = ("产品质量很好，会继续合作", "物流很快", "客服态度好", "性价比高", "推荐给了同行")
COMMENTS_PASSIVE: tuple[str, ...] = ("整体还可以", "价格再优惠些就更好了", "发货速度一般", '产品不错, 但"物流"有点慢')
COMMENTS_DETRACTOR: tuple[str, ...] = ("客服响应太慢", "价格偏高", "质量不稳定", "退货流程太麻烦", "配送经常延迟")

TICKET_DATE_COLUMNS: tuple[str, ...] = ("opened_at", "first_response_at", "resolved_at")

DirtLogs = list[tuple[OutputFile, pl.DataFrame]]


def _categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row from per-row probability vectors (rows of ``probabilities``)."""
    cum = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(probabilities.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), probabilities.shape[1] - 1)


def _contacts(rng: np.random.Generator, population: Population, rows: np.ndarray,
              by_phone_share: float) -> tuple[pl.Series, pl.Series, np.ndarray]:
    """Phone or e-mail (never both) of the given accounts, as the service desk knows them."""
    by_phone = rng.random(rows.shape[0]) < by_phone_share
    acc = population.accounts
    phone = pl.select(pl.when(pl.Series(by_phone)).then(acc.get_column("phone").gather(rows))).to_series()
    email = pl.select(pl.when(~pl.Series(by_phone)).then(acc.get_column("email").gather(rows))).to_series()
    return phone.rename("phone"), email.rename("email"), by_phone


def write_service(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
                  rng_for: Callable[[str], np.random.Generator],
                  ) -> tuple[list[OutputFile], DirtLogs, dict[str, pl.DataFrame]]:
    """Write tickets and NPS answers. Returns the files, their dirt logs and, for the identity
    truth, which customer every ticket / answer belongs to."""
    tickets, ticket_log, ticket_ids = _tickets(inbox, population, volumes, rates, rng_for("service/tickets"))
    nps, nps_log, nps_ids = _nps(inbox, population, volumes, rates, rng_for("service/nps"))
    return [tickets, nps], [(tickets, ticket_log), (nps, nps_log)], {
        "service_tickets": ticket_ids, "service_nps": nps_ids}


def _tickets(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
             rng: np.random.Generator) -> tuple[OutputFile, pl.DataFrame, pl.DataFrame]:
    tl = population.timeline
    n_buy = population.customers
    value = population.array("value_weight")[:n_buy]
    start = population.array("signup_day")[:n_buy].astype(np.float64)
    rate = volumes.tickets_per_year / 365.0 * np.clip(value, 0.3, 3.0) ** 0.3
    owner, opened, tday = sample_timed_events(rng, tl, "service", rate, start, population.array("drift_day")[:n_buy],
                                              population.array("stop_day")[:n_buy], volumes.drift_ticket_factor)
    n = owner.shape[0]
    drifting = tday >= population.array("drift_day")[owner]

    category = _categorical(rng, np.where(drifting[:, None], np.asarray(TICKET_CATEGORY_WEIGHTS_DRIFT)[None, :],
                                          np.asarray(TICKET_CATEGORY_WEIGHTS)[None, :]))
    complaint = category == 0
    priority = _categorical(rng, np.where(complaint[:, None], np.array([[0.10, 0.35, 0.40, 0.15]]),
                                          np.array([[0.30, 0.45, 0.20, 0.05]])))
    phone, email, by_phone = _contacts(rng, population, owner, volumes.service_by_phone)
    channel = np.where(by_phone, _categorical(rng, np.tile([[0.55, 0.0, 0.35, 0.10]], (n, 1))),
                       _categorical(rng, np.tile([[0.0, 0.7, 0.0, 0.3]], (n, 1))))
    first_resp = opened + np.maximum(60, rng.lognormal(np.log(5400), 1.0, n)).astype(np.int64)
    resolved = first_resp + (rng.lognormal(np.log(26 * 3600), 1.1, n) * np.where(complaint, 1.5, 1.0)).astype(
        np.int64)
    end_s = tl.epoch_seconds(np.array([tl.days - 1]), np.array([SECONDS_PER_DAY - 1]))[0]
    done = resolved <= end_s
    responded = first_resp <= end_s
    closed = done & ((resolved < end_s - 7 * SECONDS_PER_DAY) | (rng.random(n) < 0.3)) & (rng.random(n) < 0.85)
    status = np.where(done, np.where(closed, 3, 2), np.where(responded, 1, 0))
    answered = done & (rng.random(n) < 0.65)
    latent = 4.4 - 1.3 * drifting - 0.7 * complaint + rng.normal(0.0, 0.8, n)
    csat = np.where(answered, np.clip(np.rint(latent), 1, 5), np.nan)

    ticket_id = "TK" + pl.Series(np.arange(n) + 10_000_001).cast(pl.String)
    frame = pl.DataFrame(
        {
            "ticket_id": ticket_id,
            "phone": phone,
            "email": email,
            "channel": pl.Series(list(TICKET_CHANNELS), dtype=pl.String).gather(channel),
            "category": pl.Series(list(TICKET_CATEGORIES), dtype=pl.String).gather(category),
            "priority": pl.Series(list(TICKET_PRIORITIES), dtype=pl.String).gather(priority),
            "status": pl.Series(list(TICKET_STATUSES), dtype=pl.String).gather(status),
            "csat": pl.Series(csat).cast(pl.Int64, strict=False).cast(pl.String),
            "csat__num": pl.Series(csat, dtype=pl.Float64).fill_nan(None),
            "csat__cell": np.where(answered, CELL_NUMBER, CELL_BLANK).astype(np.int8),
        }
    )
    # Date cells: real Excel dates (70%) or ISO text (30%); empty when it has not happened yet.
    epochs = {"opened_at": opened, "first_response_at": first_resp, "resolved_at": resolved}
    present = {"opened_at": np.ones(n, dtype=bool), "first_response_at": responded, "resolved_at": done}
    for column in TICKET_DATE_COLUMNS:
        secs = epochs[column]
        as_date = rng.random(n) < 0.7
        frame = frame.with_columns(
            pl.when(pl.Series(present[column])).then(d.datetime_text(pl.Series(secs))).alias(column),
            pl.Series(f"{column}__num", d.excel_serial(secs)),
            pl.Series(f"{column}__cell", np.where(present[column], np.where(as_date, CELL_DATE, CELL_TEXT),
                                                  CELL_BLANK).astype(np.int8)),
        )
    draft = d.Draft(frame)
    d.phone_email_dirt(rng, draft, rates.phone_format, rates.email_format)
    for column in TICKET_DATE_COLUMNS:
        secs = epochs[column]
        fmt_rate, bad_rate = rates.date_format, rates.bad_date if column == "opened_at" else 0.0
        fmt_rows, bad_rows = d.pick_many(rng, present[column], [fmt_rate, bad_rate])
        dirty = d.dirty_dates(rng, secs[fmt_rows], True)
        _set_xlsx_cells(draft, column, fmt_rows, dirty, "date_format", True)
        _set_xlsx_cells(draft, column, bad_rows, d.choose_text(rng, d.BAD_DATES, bad_rows.shape[0]), "bad_date",
                        False)
    for column in ("channel", "category", "priority"):
        draft.replace(column, d.pick(rng, n, rates.missing_optional), None, "missing_value", True)
    bad_rows = d.pick(rng, answered, rates.csat_out_of_range)
    bad_values = pl.Series(np.array([0, 6, 7, 10])[rng.integers(0, 4, bad_rows.shape[0])]).cast(pl.String)
    _set_xlsx_cells(draft, "csat", bad_rows, bad_values, "csat_out_of_range", False)
    final, log = d.add_duplicates(rng, draft, rates.duplicate_row_other)

    columns = [xlsx_column(header, final, name) for name, header in SERVICE_TICKETS.columns]
    created = datetime(tl.end.year, tl.end.month, tl.end.day, 23, 0, 0)
    info = write_xlsx(inbox, "service/tickets.xlsx", SERVICE_TICKETS.kind, "Tickets", columns, final.height,
                      volumes.max_rows_per_sheet, created)
    ids = pl.DataFrame({"source_key": ticket_id, "row": owner})
    return info, log, ids


def _set_xlsx_cells(draft: d.Draft, column: str, rows: np.ndarray, text: pl.Series, dirt_type: str,
                    recoverable: bool) -> None:
    """Put dirty values into workbook cells: values that read as numbers (Excel serial dates,
    out-of-range scores) become number cells, everything else text cells."""
    if rows.shape[0] == 0:
        return
    draft.replace(column, rows, text, dirt_type, recoverable)
    as_number = text.cast(pl.Float64, strict=False)
    is_number = as_number.is_not_null().to_numpy()
    cell = draft.frame.get_column(f"{column}__cell").clone()
    num = draft.frame.get_column(f"{column}__num").clone()
    kinds = np.where(is_number, CELL_NUMBER, CELL_TEXT).astype(np.int8)
    draft.frame = draft.frame.with_columns(
        cell.scatter(rows, pl.Series(kinds)),
        num.scatter(rows, as_number),
    )


def _nps(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
         rng: np.random.Generator) -> tuple[OutputFile, pl.DataFrame, pl.DataFrame]:
    tl = population.timeline
    n_buy = population.customers
    start = population.array("signup_day")[:n_buy].astype(np.float64) + 14.0
    rate = np.full(n_buy, volumes.nps_per_year / 365.0)
    owner, submitted, tday = sample_timed_events(rng, tl, "office", rate, start, population.array("drift_day")[:n_buy],
                                                 population.array("stop_day")[:n_buy], 1.0)
    n = owner.shape[0]
    drifting = tday >= population.array("drift_day")[owner]
    score = np.clip(np.rint(8.4 - 2.8 * drifting + rng.normal(0.0, 1.7, n)), 0, 10).astype(np.int64)
    comments = pl.Series([*COMMENTS_DETRACTOR, *COMMENTS_PASSIVE, *COMMENTS_PROMOTER], dtype=pl.String)
    base = np.where(score >= 9, len(COMMENTS_DETRACTOR) + len(COMMENTS_PASSIVE),
                    np.where(score >= 7, len(COMMENTS_DETRACTOR), 0))
    size = np.where(score >= 9, len(COMMENTS_PROMOTER), np.where(score >= 7, len(COMMENTS_PASSIVE),
                                                                 len(COMMENTS_DETRACTOR)))
    comment_idx = base + np.floor(rng.random(n) * size).astype(np.int64)
    has_comment = rng.random(n) < 0.5
    phone, email, _ = _contacts(rng, population, owner, volumes.service_by_phone)
    response_id = "WJX" + pl.Series(np.arange(n) + 20_000_001).cast(pl.String)
    frame = pl.DataFrame(
        {
            "response_id": response_id,
            "phone": phone,
            "email": email,
            "survey_date": d.datetime_text(pl.Series(submitted)),
            "nps_score": pl.Series(score).cast(pl.String),
            "comment": pl.select(pl.when(pl.Series(has_comment)).then(comments.gather(comment_idx))).to_series(),
        }
    )
    draft = d.Draft(frame)
    d.phone_email_dirt(rng, draft, rates.phone_format, rates.email_format)
    fmt_rows, bad_rows = d.pick_many(rng, n, [rates.date_format, rates.bad_date])
    draft.replace("survey_date", fmt_rows, d.dirty_dates(rng, submitted[fmt_rows], True), "date_format", True)
    draft.replace("survey_date", bad_rows, d.choose_text(rng, d.BAD_DATES, bad_rows.shape[0]), "bad_date", False)
    bad_rows = d.pick(rng, n, rates.nps_out_of_range)
    bad_values = pl.Series(np.array([-1, 11, 12, 15])[rng.integers(0, 4, bad_rows.shape[0])]).cast(pl.String)
    draft.replace("nps_score", bad_rows, bad_values, "nps_out_of_range", False)
    final, log = d.add_duplicates(rng, draft, rates.duplicate_row_other)
    info = write_csv(inbox, "service/nps_survey.csv", SERVICE_NPS, final)
    return info, log, pl.DataFrame({"source_key": response_id, "row": owner})
