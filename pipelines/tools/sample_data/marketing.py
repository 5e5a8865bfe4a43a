"""E-mail marketing: the campaigns and the per-address events an ESP exports.

* About two campaigns a month (monthly newsletter and product news; around 618, Double 11, Double 12
  and Chinese New Year the campaigns are promotions instead).
* Each campaign goes to a random share of the mailing list (15% by default). The list holds most CRM
  accounts' addresses (also when the CRM itself lacks the address) plus about 3% newsletter sign-ups
  nobody in the CRM knows.
* Events per recipient: ``sent``; then ``delivered`` or ``bounce`` (about 2% of addresses are dead and
  are dropped after their first bounce); then possibly ``open``, ``click`` and ``unsubscribe``
  (unsubscribed addresses get no further campaigns). Each customer has its own open propensity; it
  falls while the customer drifts away and almost vanishes after churn.
* Events are keyed by e-mail address only (``email/email_events.csv``), sorted by campaign and time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data import dirt as d
from pipelines.tools.sample_data.config import EMAIL_EVENTS as EVENT_NAMES
from pipelines.tools.sample_data.config import DirtRates, Volumes
from pipelines.tools.sample_data.customers import Population
from pipelines.tools.sample_data.timeline import EPOCH, SECONDS_PER_DAY
from pipelines.tools.sample_data.writers import EMAIL_CAMPAIGNS, EMAIL_EVENTS, CsvWriter, OutputFile, write_csv

CAMPAIGNS_PER_CHUNK = 6  # campaigns simulated and written together (bounds memory for big lists)

EV_SENT, EV_DELIVERED, EV_OPEN, EV_CLICK, EV_BOUNCE, EV_UNSUBSCRIBE = range(6)

DirtLogs = list[tuple[OutputFile, pl.DataFrame]]


@dataclass(frozen=True)
class Campaign:
    """One e-mail campaign."""

    campaign_id: str
    name: str
    subject: str
    send_time: datetime


# The festival campaigns: (month, slot) -> campaign name and subject line ({year} filled in).
_FESTIVAL_THEMES = {
    (5, 1): ("{year}年618年中大促预热", "【618预热】年中大促即将开启，全场低至8折"),
    (6, 0): ("{year}年618年中大促", "【618】爆款直降，满1000减100"),
    (10, 1): ("{year}年双11预售开启", "【双11预售】定金翻倍，企业采购专享价"),
    (11, 0): ("{year}年双11狂欢节", "【双11】一年一次，办公用品囤货季"),
    (12, 0): ("{year}年双12年终盛典", "【双12】年终采购，满额赠礼"),
    (1, 1): ("{year}年新春年货节", "【年货节】春节福利采购，顺丰包邮"),
}


def _theme(year: int, month: int, slot: int) -> tuple[str, str]:
    """Campaign name and subject line for the first (slot 0) or second (slot 1) campaign of a month."""
    if (month, slot) in _FESTIVAL_THEMES:
        name, subject = _FESTIVAL_THEMES[(month, slot)]
        return name.format(year=year), subject
    if slot == 0:
        return f"{year}年{month}月会员月刊", f"【会员月刊】{month}月行业资讯与会员优惠"
    return f"{year}年{month}月新品推荐", "【新品推荐】本月新品抢先看，首单9折"


def plan_campaigns(rng: np.random.Generator, start: date, end: date, per_month: int = 2) -> list[Campaign]:
    """About ``per_month`` campaigns in every month of the history (a loop over months)."""
    campaigns: list[Campaign] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        for slot in range(per_month):
            lo = 4 + slot * (24 // per_month)
            day = int(rng.integers(lo, lo + 6))
            hour = 10 if rng.random() < 0.6 else 20
            when = datetime(year, month, min(day, 28), hour, int(rng.integers(0, 4)) * 15)
            if start <= when.date() <= end:
                name, subject = _theme(year, month, min(slot, 1))
                campaigns.append(Campaign(f"CMP{year}{month:02d}{slot + 1:02d}", name, subject, when))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return campaigns


def _epoch(when: datetime) -> int:
    return int((when - datetime(EPOCH.year, EPOCH.month, EPOCH.day)) / timedelta(seconds=1))


def write_email(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
                rng_for: Callable[[str], np.random.Generator],
                ) -> tuple[list[OutputFile], DirtLogs, pl.DataFrame]:
    """Write campaigns and events. Returns the files, their dirt logs and the identity of every
    address that appears in the events (lower-case address, account row or -1 for newsletter-only)."""
    tl = population.timeline
    sim = rng_for("email/simulation")
    campaigns = plan_campaigns(rng_for("email/campaigns"), tl.start, tl.end, volumes.campaigns_per_month)

    # The mailing list: CRM accounts on the list, then newsletter-only addresses.
    acc_rows = np.flatnonzero(population.array("on_list"))
    n_news = population.newsletter_emails.len()
    n_list = acc_rows.shape[0] + n_news
    addresses = pl.concat([population.accounts.get_column("email").gather(acc_rows), population.newsletter_emails])
    account_of = np.concatenate([acc_rows, np.full(n_news, -1)])
    join_day = np.concatenate([population.array("list_join_day")[acc_rows], sim.uniform(-365.0, tl.days, n_news)])
    churn = np.concatenate([population.array("churn_day")[acc_rows], np.full(n_news, np.inf)])
    drift = np.concatenate([population.array("drift_day")[acc_rows], np.full(n_news, np.inf)])
    propensity = np.concatenate([population.array("open_propensity")[acc_rows], sim.beta(1.5, 6.0, n_news)])
    dead = np.concatenate([population.array("bad_address")[acc_rows], sim.random(n_news) < 0.03])
    active = np.ones(n_list, dtype=bool)
    seen = np.zeros(n_list, dtype=bool)
    end_s = _epoch(datetime(tl.end.year, tl.end.month, tl.end.day, 23, 59, 59))

    campaign_ids = pl.Series([c.campaign_id for c in campaigns], dtype=pl.String)
    event_names = pl.Series(list(EVENT_NAMES), dtype=pl.String)
    writer = CsvWriter(inbox, "email/email_events.csv", EMAIL_EVENTS)
    logs: list[pl.DataFrame] = []
    for chunk_start in range(0, len(campaigns), CAMPAIGNS_PER_CHUNK):  # a loop over campaign batches
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        for ci in range(chunk_start, min(chunk_start + CAMPAIGNS_PER_CHUNK, len(campaigns))):
            send_s = _epoch(campaigns[ci].send_time)
            t_day = (send_s / SECONDS_PER_DAY) - tl.epoch_day0
            eligible = active & (join_day <= t_day)
            who = np.flatnonzero(eligible & (sim.random(n_list) < volumes.campaign_share))
            k = who.shape[0]
            sent = send_s + sim.integers(0, 3600, k)
            bounce = dead[who] | (sim.random(k) < 0.005)
            active[who[dead[who]]] = False
            delivered_at = sent + sim.integers(1, 120, k)
            factor = np.where(t_day >= churn[who], volumes.churned_open_factor,
                              np.where(t_day >= drift[who], volumes.drift_open_factor, 1.0))
            opened = ~bounce & (sim.random(k) < propensity[who] * factor)
            open_at = delivered_at + np.minimum(sim.lognormal(np.log(3 * 3600), 1.2, k), 7 * 86400).astype(np.int64)
            clicked = opened & (sim.random(k) < np.where(factor < 1.0, 0.09, 0.18))
            click_at = open_at + np.minimum(sim.lognormal(np.log(90), 1.0, k), 3600).astype(np.int64) + 1
            unsub = ~bounce & (sim.random(k) < np.where(t_day >= churn[who], 0.005,
                                                        np.where(t_day >= drift[who], 0.01, 0.002)))
            unsub_at = np.where(opened, open_at + 30, delivered_at + sim.integers(600, 86400, k))
            active[who[unsub]] = False
            addr = np.concatenate([who, who[bounce], who[~bounce], who[opened], who[clicked], who[unsub]])
            kind = np.concatenate([
                np.full(k, EV_SENT), np.full(int(bounce.sum()), EV_BOUNCE), np.full(int((~bounce).sum()), EV_DELIVERED),
                np.full(int(opened.sum()), EV_OPEN), np.full(int(clicked.sum()), EV_CLICK),
                np.full(int(unsub.sum()), EV_UNSUBSCRIBE),
            ])
            when = np.concatenate([sent, delivered_at[bounce], delivered_at[~bounce], open_at[opened],
                                   click_at[clicked], unsub_at[unsub]])
            keep = when <= end_s
            addr, kind, when = addr[keep], kind[keep], when[keep]
            seen[addr] = True
            order = np.lexsort((kind, addr, when))
            parts.append((addr[order], kind[order], when[order], np.full(order.shape[0], ci)))
        if not parts:
            continue
        addr = np.concatenate([p[0] for p in parts])
        kind = np.concatenate([p[1] for p in parts])
        when = np.concatenate([p[2] for p in parts])
        camp = np.concatenate([p[3] for p in parts])
        frame = pl.DataFrame(
            {
                "email": addresses.gather(addr),
                "campaign_id": campaign_ids.gather(camp),
                "event_type": event_names.gather(kind),
                "event_time": d.datetime_text(pl.Series(when)),
            }
        )
        rng = rng_for(f"email/events/{chunk_start}")
        draft = d.Draft(frame)
        n = draft.height
        rows = d.pick(rng, n, rates.email_format)
        draft.replace("email", rows, d.dirty_emails(rng, frame.get_column("email").gather(rows)), "email_format",
                      True)
        fmt_rows, bad_rows = d.pick_many(rng, n, [rates.date_format, rates.bad_date])
        draft.replace("event_time", fmt_rows, d.dirty_dates(rng, when[fmt_rows], True), "date_format", True)
        draft.replace("event_time", bad_rows, d.choose_text(rng, d.BAD_DATES, bad_rows.shape[0]), "bad_date", False)
        final, log = d.add_duplicates(rng, draft, rates.duplicate_row_other)
        logs.append(log.with_columns(pl.col("position") + writer.info.rows))
        writer.write(final)
    events_info = writer.close()

    camp_frame = pl.DataFrame(
        {
            "campaign_id": campaign_ids,
            "campaign_name": pl.Series([c.name for c in campaigns], dtype=pl.String),
            "subject": pl.Series([c.subject for c in campaigns], dtype=pl.String),
            "sent_at": pl.Series([c.send_time.strftime("%Y-%m-%d %H:%M:%S") for c in campaigns], dtype=pl.String),
        }
    )
    rng = rng_for("email/campaigns/dirt")
    draft = d.Draft(camp_frame)
    send_s = np.array([_epoch(c.send_time) for c in campaigns], dtype=np.int64)
    rows = d.pick(rng, draft.height, rates.date_format)
    draft.replace("sent_at", rows, d.dirty_dates(rng, send_s[rows], True), "date_format", True)
    final, camp_log = d.add_duplicates(rng, draft, 0.0)
    camp_info = write_csv(inbox, "email/campaigns.csv", EMAIL_CAMPAIGNS, final)

    events_log = pl.concat(logs, how="vertical") if logs else d.empty_log()
    used = np.flatnonzero(seen)
    identity = pl.DataFrame({"source_key": addresses.gather(used), "row": account_of[used]})
    return [camp_info, events_info], [(camp_info, camp_log), (events_info, events_log)], identity
