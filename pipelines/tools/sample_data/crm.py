"""CRM: the account list (Fxiaoke-style, GBK), the sales follow-up log and the opportunities
(Zoho-style).

* Accounts: every buyer and every prospect, with the ERP customer code (missing for about 8% of the
  buyers, always empty for prospects), phone (10% missing) and e-mail (15% missing). Written as
  ``crm/客户列表_fxiaoke.csv`` in GBK with Windows line ends.
* Follow-ups (``crm/跟进记录.csv``): calls, visits, meetings and WeChat chats, more for valuable
  customers, fewer (and gloomier) while a customer drifts away, none after churn. Prospects get a few
  in the months after they were created.
* Opportunities (``crm/opportunities_zoho.csv``): about a third of the buyers have a won deal shortly
  before their first order; some buyers have later upsell deals (won, lost or still open) or deals lost
  to a competitor; about 60% of the prospects have a deal that was lost or is still open. Deals whose
  closing date lies after the end of the history are still open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.tools.sample_data import catalog as cat
from pipelines.tools.sample_data import dirt as d
from pipelines.tools.sample_data.config import (
    INTERACTION_TYPE_WEIGHTS,
    INTERACTION_TYPES,
    OPPORTUNITY_LOST_STAGE,
    OPPORTUNITY_OPEN_STAGES,
    OPPORTUNITY_STATUSES,
    OPPORTUNITY_WON_STAGE,
    DirtRates,
    Volumes,
)
from pipelines.tools.sample_data.customers import Population
from pipelines.tools.sample_data.timeline import SECONDS_PER_DAY, sample_second_of_day, sample_timed_events
from pipelines.tools.sample_data.writers import (
    CRM_ACCOUNTS,
    CRM_INTERACTIONS,
    CRM_OPPORTUNITIES,
    OutputFile,
    write_csv,
)

NOTES_NORMAL: tuple[str, ...] = (
    "电话沟通本月采购需求", "上门拜访，介绍新品", "确认订单交付时间", "客户询价, 已发送报价单", "年度合作回顾会议",
    "微信跟进付款进度", "推荐新品试用装", "了解客户库存情况", "协助客户开具发票", "邀请参加新品发布会",
)
NOTES_DRIFT: tuple[str, ...] = (
    "客户表示近期采购计划暂缓", "客户反映服务响应慢", "客户在比较其他供应商报价", "联系未接通，稍后再跟进",
    "客户对上次配送不满意", "客户预算缩减",
)
NOTES_PROSPECT: tuple[str, ...] = (
    "首次电话沟通，了解需求", "发送产品资料", "客户暂无采购计划", "约定下周拜访", "展会名片跟进",
)
DEAL_SUFFIXES: tuple[str, ...] = ("年度采购项目", "办公用品集采", "新品试用", "续约", "扩容采购")

DirtLogs = list[tuple[OutputFile, pl.DataFrame]]


def write_crm(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
              rng_for: Callable[[str], np.random.Generator]) -> tuple[list[OutputFile], DirtLogs]:
    """Write the three CRM files; returns the files and, per file, its dirt log."""
    logs: DirtLogs = []
    for build in (_accounts, _interactions, _opportunities):
        info, log = build(inbox, population, volumes, rates, rng_for)
        logs.append((info, log))
    return [info for info, _ in logs], logs


def _accounts(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
              rng_for: Callable[[str], np.random.Generator]) -> tuple[OutputFile, pl.DataFrame]:
    rng = rng_for("crm/accounts")
    # accounts created by the end of the exports; an ERP code exists once the customer has bought
    end_s = population.timeline.end_of_last_day_s
    acc = population.accounts.filter(pl.col("crm_created_s") <= end_s).sort(["crm_created_s", "customer_id"])
    created = acc.get_column("crm_created_s").to_numpy()
    frame = acc.select(
        pl.col("crm_account_id").alias("account_id"),
        pl.when(pl.col("crm_has_code") & (pl.col("first_order_s") <= end_s)).then(pl.col("sales_customer_code"))
        .alias("sales_customer_code"),
        "contact_name", "company", "industry", "company_size", "region",
        pl.when(pl.col("crm_has_phone")).then(pl.col("phone")).alias("phone"),
        pl.when(pl.col("crm_has_email")).then(pl.col("email")).alias("email"),
        d.datetime_text(acc.get_column("crm_created_s")).alias("created_date"),
        "lead_source", "owner",
    )
    draft = d.Draft(frame)
    d.phone_email_dirt(rng, draft, rates.phone_format, rates.email_format)
    rows = d.pick(rng, draft.height, rates.date_format)
    draft.replace("created_date", rows, d.dirty_dates(rng, created[rows], True), "date_format", True)
    for column in ("industry", "company_size", "region", "lead_source"):
        draft.replace(column, d.pick(rng, draft.height, rates.missing_optional), None, "missing_value", True)
    final, log = d.add_duplicates(rng, draft, 0.0)
    info = write_csv(inbox, "crm/客户列表_fxiaoke.csv", CRM_ACCOUNTS, final, encoding="gbk", line_ending="\r\n")
    return info, log


def _interactions(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
                  rng_for: Callable[[str], np.random.Generator]) -> tuple[OutputFile, pl.DataFrame]:
    rng = rng_for("crm/interactions")
    tl = population.timeline
    days = float(tl.days)
    prospect = population.array("is_prospect")
    created = (population.array("crm_created_s") // SECONDS_PER_DAY - tl.epoch_day0).astype(np.float64)
    value = population.array("value_weight")
    stop = np.where(prospect, np.minimum(np.maximum(created, 0.0) + 120.0, days), population.array("stop_day"))
    start = np.maximum(created, 0.0)
    drift = np.where(prospect, stop, population.array("drift_day"))
    rate = np.where(prospect, 1.8 / 120.0,
                    volumes.interactions_per_year / 365.0 * np.sqrt(np.clip(value, 0.2, 5.0)))
    owner_row, epoch, tday = sample_timed_events(rng, tl, "office", rate, start, drift, stop,
                                                 volumes.drift_interaction_factor)
    n = owner_row.shape[0]
    drifting = tday >= population.array("drift_day")[owner_row]
    is_pro = prospect[owner_row]
    w = np.asarray(INTERACTION_TYPE_WEIGHTS)
    kind = rng.choice(len(w), n, p=w / w.sum())
    note_normal = rng.integers(0, len(NOTES_NORMAL), n)
    note_drift = rng.integers(0, len(NOTES_DRIFT), n)
    note_pro = rng.integers(0, len(NOTES_PROSPECT), n)
    all_notes = pl.Series([*NOTES_NORMAL, *NOTES_DRIFT, *NOTES_PROSPECT], dtype=pl.String)
    note_idx = np.where(is_pro, len(NOTES_NORMAL) + len(NOTES_DRIFT) + note_pro,
                        np.where(drifting & (rng.random(n) < 0.7), len(NOTES_NORMAL) + note_drift, note_normal))
    reps = pl.Series([r[0] for r in cat.SALES_REPS], dtype=pl.String)
    acc = population.accounts
    follower = pl.Series(np.where(rng.random(n) < 0.85, -1, rng.integers(0, len(cat.SALES_REPS), n)))
    frame = pl.DataFrame(
        {
            "interaction_id": "GJ" + pl.Series(np.arange(1, n + 1) + 100_000_000).cast(pl.String),
            "account_id": acc.get_column("crm_account_id").gather(owner_row),
            "interaction_type": pl.Series(list(INTERACTION_TYPES), dtype=pl.String).gather(kind),
            "interaction_date": d.datetime_text(pl.Series(epoch)),
            "owner": pl.select(
                pl.when(follower < 0).then(acc.get_column("owner").gather(owner_row))
                .otherwise(reps.gather(follower.clip(0)))
            ).to_series(),
            "notes": all_notes.gather(note_idx),
        }
    )
    draft = d.Draft(frame)
    fmt_rows, bad_rows = d.pick_many(rng, n, [rates.date_format, rates.bad_date])
    draft.replace("interaction_date", fmt_rows, d.dirty_dates(rng, epoch[fmt_rows], True), "date_format", True)
    draft.replace("interaction_date", bad_rows, d.choose_text(rng, d.BAD_DATES, bad_rows.shape[0]), "bad_date",
                  False)
    draft.replace("notes", d.pick(rng, n, rates.missing_optional), None, "missing_value", True)
    final, log = d.add_duplicates(rng, draft, rates.duplicate_row_other)
    return write_csv(inbox, "crm/跟进记录.csv", CRM_INTERACTIONS, final), log


def _opportunities(inbox: Path, population: Population, volumes: Volumes, rates: DirtRates,
                   rng_for: Callable[[str], np.random.Generator]) -> tuple[OutputFile, pl.DataFrame]:
    rng = rng_for("crm/opportunities")
    tl = population.timeline
    days = tl.days
    n_all = population.accounts.height
    prospect = population.array("is_prospect")
    first = population.array("signup_day").astype(np.float64)
    stop = population.array("stop_day")
    drift = population.array("drift_day")
    value = population.array("value_weight")
    rate = population.array("order_rate")
    created_acc = (population.array("crm_created_s") // SECONDS_PER_DAY - tl.epoch_day0).astype(np.float64)

    # 1) Won deals shortly before the first order.
    won_rows = np.flatnonzero(~prospect & (rng.random(n_all) < 0.35))
    won_close = first[won_rows] - rng.uniform(0.0, 10.0, won_rows.shape[0])
    won_created = won_close - rng.uniform(20.0, 110.0, won_rows.shape[0])
    # Deal size: about a year of the customer's expected spend (average line about 550 yuan).
    spend = population.array("spend_mult")
    yearly = rate[won_rows] * 365 * 2.5 * 550 * spend[won_rows] * rng.lognormal(0.0, 0.3, won_rows.shape[0])
    won_amount = np.maximum(2000, np.round(yearly / 1000) * 1000)
    won_status = np.zeros(won_rows.shape[0], dtype=np.int64)  # 0 won, 1 lost, 2 open

    # 2) Upsell deals during the relationship.
    ups_rows = np.flatnonzero(~prospect & (rng.random(n_all) < 0.12 * np.clip(value, 0.3, 3.0))
                              & (stop - first > 60))
    ups_created = first[ups_rows] + 30 + rng.random(ups_rows.shape[0]) * (stop[ups_rows] - first[ups_rows] - 30)
    ups_close = ups_created + rng.uniform(15.0, 120.0, ups_rows.shape[0])
    in_drift = ups_created >= drift[ups_rows]
    ups_status = np.where(rng.random(ups_rows.shape[0]) < np.where(in_drift, 0.2, 0.55), 0, 1)
    ups_amount = np.maximum(3000, np.round(won_amount.mean() * rng.lognormal(-0.7, 0.6, ups_rows.shape[0])
                                           / 500) * 500) if won_rows.shape[0] else np.full(ups_rows.shape[0], 8000.0)

    # 3) Deals with prospects: lost or still open.
    pro_rows = np.flatnonzero(prospect & (rng.random(n_all) < 0.6))
    pro_created = np.maximum(created_acc[pro_rows], 0.0) + rng.uniform(0.0, 60.0, pro_rows.shape[0])
    pro_close = pro_created + rng.uniform(15.0, 120.0, pro_rows.shape[0])
    pro_status = np.ones(pro_rows.shape[0], dtype=np.int64)
    pro_amount = np.round(rng.lognormal(np.log(20000), 0.8, pro_rows.shape[0]) / 500) * 500

    # 4) Deals with buyers lost to a competitor (before or during the relationship).
    lost_rows = np.flatnonzero(~prospect & (rng.random(n_all) < 0.12))
    lost_created = first[lost_rows] - 200 + rng.random(lost_rows.shape[0]) * (stop[lost_rows] - first[lost_rows]
                                                                                + 200)
    lost_close = lost_created + rng.uniform(15.0, 90.0, lost_rows.shape[0])
    lost_status = np.ones(lost_rows.shape[0], dtype=np.int64)
    lost_amount = np.round(rng.lognormal(np.log(15000), 0.8, lost_rows.shape[0]) / 500) * 500

    rows = np.concatenate([won_rows, ups_rows, pro_rows, lost_rows])
    created = np.concatenate([won_created, ups_created, pro_created, lost_created])
    close = np.concatenate([won_close, ups_close, pro_close, lost_close])
    status = np.concatenate([won_status, ups_status, pro_status, lost_status])
    amount = np.concatenate([won_amount, ups_amount, pro_amount, lost_amount]).astype(np.int64) * 100
    keep = created < days - 1
    rows, created, close, status, amount = rows[keep], created[keep], close[keep], status[keep], amount[keep]
    status = np.where(close >= days, 2, status)  # not decided yet at the end of the history
    n = rows.shape[0]
    created_s = tl.epoch_seconds(np.floor(created).astype(np.int64), sample_second_of_day(rng, n, "office"))
    close_s = tl.epoch_seconds(np.floor(close).astype(np.int64), np.zeros(n, dtype=np.int64))
    order = np.lexsort((rows, created_s))
    rows, created_s, close_s, status, amount = rows[order], created_s[order], close_s[order], status[order], amount[
        order]
    open_stage = rng.integers(0, len(OPPORTUNITY_OPEN_STAGES), n)
    stage_names = pl.Series([*OPPORTUNITY_OPEN_STAGES, OPPORTUNITY_WON_STAGE, OPPORTUNITY_LOST_STAGE],
                            dtype=pl.String)
    stage_idx = np.where(status == 2, open_stage, np.where(status == 0, len(OPPORTUNITY_OPEN_STAGES),
                                                           len(OPPORTUNITY_OPEN_STAGES) + 1))
    acc = population.accounts
    deal_no = 5735000000000100000 + np.cumsum(rng.integers(1, 40, n))
    frame = pl.DataFrame(
        {
            "opportunity_id": "zcrm_" + pl.Series(deal_no).cast(pl.String),
            "account_id": acc.get_column("crm_account_id").gather(rows),
            "opportunity_name": acc.get_column("brand").gather(rows) + acc.get_column("trade").gather(rows) + "-"
            + pl.Series(list(DEAL_SUFFIXES), dtype=pl.String).gather(rng.integers(0, len(DEAL_SUFFIXES), n)),
            "stage": stage_names.gather(stage_idx),
            "amount": d.money_text(pl.Series(amount)),
            "created_date": d.datetime_text(pl.Series(created_s)),
            "close_date": d.datetime_text(pl.Series(close_s), with_time=False),
            "status": pl.Series(list(OPPORTUNITY_STATUSES), dtype=pl.String).gather(status),
            "owner": acc.get_column("owner").gather(rows),
        }
    )
    draft = d.Draft(frame)
    fmt_rows = d.pick(rng, n, rates.amount_format)
    draft.replace("amount", fmt_rows, d.dirty_amounts(rng, amount[fmt_rows]), "amount_format", True)
    fmt_rows = d.pick(rng, n, rates.date_format)
    draft.replace("created_date", fmt_rows, d.dirty_dates(rng, created_s[fmt_rows], True), "date_format", True)
    fmt_rows = d.pick(rng, n, rates.date_format)
    draft.replace("close_date", fmt_rows, d.dirty_dates(rng, close_s[fmt_rows], False), "date_format", True)
    draft.replace("owner", d.pick(rng, n, rates.missing_optional), None, "missing_value", True)
    final, log = d.add_duplicates(rng, draft, 0.0)
    return write_csv(inbox, "crm/opportunities_zoho.csv", CRM_OPPORTUNITIES, final), log
