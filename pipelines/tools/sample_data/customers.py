"""The simulated customer base: who the customers are (company, contact person, phone, e-mail), how
valuable they are, when they first bought, and when (if at all) they drift away and churn.

One row per CRM account. The first ``customers`` rows are buyers, the remaining rows are prospects
(CRM accounts that never bought). Every later step (orders, follow-ups, tickets, e-mails) reads
from this table, so all sources describe the same people.

Key ideas, in business terms:

* *value*: how often a customer buys is gamma-distributed (a few buy very often) and bigger
  companies buy more and bigger baskets, which gives the usual long tail: the top 20% of customers
  bring well over 60% of the revenue.
* *lifetime*: the first purchase happens somewhere in the history; the customer then stays for an
  exponentially distributed time. About 60-120 days before churning the customer *drifts*: fewer and
  more spaced orders, fewer follow-ups and e-mail opens, more complaints. ``churn_date`` is null when
  the churn would only happen after the end of the history; ``drift_start`` may still be set then
  (the customer is drifting at the end of the history: an at-risk customer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.tools.sample_data import catalog as cat
from pipelines.tools.sample_data.config import (
    COMPANY_SIZE_RATE,
    COMPANY_SIZE_SPEND,
    COMPANY_SIZE_WEIGHTS,
    COMPANY_SIZES,
    INDUSTRIES,
    INDUSTRY_WEIGHTS,
    LEAD_SOURCE_WEIGHTS,
    LEAD_SOURCES,
    SALES_CHANNEL_WEIGHTS,
    Volumes,
)
from pipelines.tools.sample_data.timeline import (
    SECONDS_PER_DAY,
    Timeline,
    expected_exposure,
    sample_second_of_day,
)

# Mobile number prefixes in use in mainland China (all 1[3-9]x).
MOBILE_PREFIXES: tuple[int, ...] = (
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 170, 171, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191,
    193, 195, 196, 197, 198, 199,
)


@dataclass(frozen=True)
class Population:
    """All CRM accounts (buyers first, then prospects) plus the mailing-list addresses nobody in the
    CRM owns.

    ``accounts`` columns (one row per account): customer_id, is_prospect, sales_customer_code,
    crm_account_id, phone (11 digits), email (lower case), contact_name, company, city, brand, trade,
    industry, company_size, region, lead_source, owner, crm_created_s (Unix seconds, Beijing time),
    signup_day, first_order_s, churn_day, drift_day, stop_day (fractional days from the history start;
    +inf when it does not happen), rate_mult, spend_mult, value_weight, order_rate, fav_category,
    pref_channel, open_propensity, crm_has_code, crm_has_phone, crm_has_email, on_list, list_join_day,
    bad_address.
    """

    timeline: Timeline
    accounts: pl.DataFrame
    customers: int
    newsletter_emails: pl.Series

    def array(self, column: str) -> np.ndarray:
        """One numeric or boolean column of ``accounts`` as a numpy array."""
        return self.accounts.get_column(column).to_numpy()


def unique_integers(rng: np.random.Generator, n: int, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """``n`` distinct integers from ``draw`` (called as often as needed), in draw order."""
    out = np.empty(0, dtype=np.int64)
    while out.shape[0] < n:
        candidates = draw(int((n - out.shape[0]) * 1.05) + 16).astype(np.int64)
        pooled = np.concatenate([out, candidates])
        _, first = np.unique(pooled, return_index=True)
        first.sort()
        out = pooled[first]
    return out[:n]


def _pick(rng: np.random.Generator, weights: tuple[float, ...] | np.ndarray, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(w.shape[0], size=n, p=w / w.sum()).astype(np.int32)


def _lookup(values: list[str] | tuple[str, ...], index: np.ndarray) -> pl.Series:
    return pl.Series(list(values), dtype=pl.String).gather(index)


def _random_ascii(rng: np.random.Generator, n: int, min_len: int, max_len: int) -> pl.Series:
    letters = (rng.integers(0, 26, (n, max_len)) + 97).astype(np.uint8)
    words = np.char.decode(letters.view(f"S{max_len}").ravel(), "ascii")
    lengths = rng.integers(min_len, max_len + 1, n)
    return pl.Series(words, dtype=pl.String).str.slice(0, pl.Series(lengths))


def _make_emails(rng: np.random.Generator, surname_py: pl.Series, given_py: pl.Series,
                 brand_py: pl.Series, newsletter: int) -> tuple[pl.Series, pl.Series]:
    """Unique lower-case addresses for the accounts (pinyin, QQ numbers or company domains) plus
    ``newsletter`` extra addresses (random letters) nobody in the CRM owns."""
    n = surname_py.len()
    style = _pick(rng, (0.30, 0.50, 0.20), n)
    frame = pl.DataFrame(
        {
            "style": style,
            "sp": surname_py,
            "gp": given_py,
            "bp": brand_py,
            "qq": rng.integers(10**5, 10**10, n),
            "suffix": np.where(rng.random(n) < 0.5,
                               np.where(rng.random(n) < 0.5, rng.integers(1970, 2001, n),
                                        rng.integers(1, 1000, n)), -1),
            "given_first": rng.random(n) < 0.3,
            "pdom": _lookup(cat.PERSONAL_DOMAINS, _pick(rng, cat.PERSONAL_DOMAIN_WEIGHTS, n)),
            "csuf": _lookup(cat.COMPANY_DOMAIN_SUFFIXES, rng.integers(0, len(cat.COMPANY_DOMAIN_SUFFIXES), n)),
        }
    )
    suffix = pl.when(pl.col("suffix") >= 0).then(pl.col("suffix").cast(pl.String)).otherwise(pl.lit(""))
    personal = pl.when(pl.col("given_first")).then(pl.col("gp") + pl.col("sp")).otherwise(
        pl.col("sp") + pl.col("gp"))
    company_local = pl.when(pl.col("given_first")).then(pl.col("gp") + pl.lit(".") + pl.col("sp")).otherwise(
        pl.col("sp").str.slice(0, 1) + pl.col("gp").str.slice(0, 1) + pl.col("sp") + pl.col("gp"))
    email = (
        pl.when(pl.col("style") == 0).then(pl.col("qq").cast(pl.String) + pl.lit("@qq.com"))
        .when(pl.col("style") == 1).then(personal + suffix + pl.lit("@") + pl.col("pdom"))
        .otherwise(company_local + pl.lit("@") + pl.col("bp") + pl.col("csuf"))
    )
    accounts = frame.select(email.alias("email")).get_column("email")

    news_local = _random_ascii(rng, newsletter, 4, 9)
    news_digits = pl.Series(rng.integers(0, 10000, newsletter)).cast(pl.String)
    news = (
        pl.DataFrame({"l": news_local, "d": news_digits,
                      "dom": _lookup(("qq.com", *cat.PERSONAL_DOMAINS),
                                     rng.integers(0, len(cat.PERSONAL_DOMAINS) + 1, newsletter))})
        .select((pl.col("l") + pl.col("d") + pl.lit("@") + pl.col("dom")).alias("email"))
        .get_column("email")
    )
    everything = pl.concat([accounts, news])
    # Make every address unique: later duplicates get a number added before the @ (a few rounds).
    for _ in range(20):
        first = everything.is_first_distinct().to_numpy()
        if first.all():
            break
        dup = np.flatnonzero(~first)
        parts = everything.gather(dup).str.split_exact("@", 1).struct.unnest()
        fixed = parts.select(
            pl.col("field_0") + pl.Series(rng.integers(10, 1000, dup.shape[0])).cast(pl.String)
            + pl.lit("@") + pl.col("field_1")
        ).to_series()
        everything = everything.scatter(dup, fixed)
    return everything.slice(0, n), everything.slice(n, newsletter)


def build_population(rng: np.random.Generator, timeline: Timeline, customers: int,
                     volumes: Volumes) -> Population:
    """Simulate ``customers`` buyers plus about ``prospect_share`` more prospects (vectorised)."""
    n_buy = customers
    n_pro = round(customers * volumes.prospect_share)
    n = n_buy + n_pro
    days = timeline.days
    is_prospect = np.arange(n) >= n_buy

    # --- who they are -------------------------------------------------------------------------
    surname_w = 1.0 / np.arange(1, len(cat.SURNAMES) + 1) ** 0.9
    surname_idx = _pick(rng, surname_w, n)
    given1 = rng.integers(0, len(cat.GIVEN_CHARS), n)
    given2 = rng.integers(0, len(cat.GIVEN_CHARS), n)
    two_chars = rng.random(n) < 0.65
    sur_han, sur_py = _lookup([s[0] for s in cat.SURNAMES], surname_idx), _lookup(
        [s[1] for s in cat.SURNAMES], surname_idx)
    g_han = [g[0] for g in cat.GIVEN_CHARS]
    g_py = [g[1] for g in cat.GIVEN_CHARS]
    second = np.where(two_chars, given2, len(g_han))  # index len(...) is the empty string
    given_han = _lookup(g_han, given1) + _lookup([*g_han, ""], second)
    given_py = _lookup(g_py, given1) + _lookup([*g_py, ""], second)
    contact_name = sur_han + given_han

    city_w = np.array([c[2] for c in cat.CITIES])
    city_idx = _pick(rng, city_w, n)
    city = _lookup([c[0] for c in cat.CITIES], city_idx)
    region = _lookup([c[1] for c in cat.CITIES], city_idx)
    b1 = rng.integers(0, len(cat.BRAND_FIRST), n)
    b2 = rng.integers(0, len(cat.BRAND_SECOND), n)
    brand = _lookup([b[0] for b in cat.BRAND_FIRST], b1) + _lookup([b[0] for b in cat.BRAND_SECOND], b2)
    brand_py = _lookup([b[1] for b in cat.BRAND_FIRST], b1) + _lookup([b[1] for b in cat.BRAND_SECOND], b2)
    industry_idx = _pick(rng, INDUSTRY_WEIGHTS, n)
    # Trade word: pick uniformly among the words of the company's industry (vectorised via offsets).
    trade_lists = [cat.TRADE_WORDS[i] for i in INDUSTRIES]
    trade_flat = [w for words in trade_lists for w in words]
    trade_off = np.cumsum([0] + [len(w) for w in trade_lists])
    trade_len = np.diff(trade_off)
    trade_idx = trade_off[industry_idx] + np.floor(rng.random(n) * trade_len[industry_idx]).astype(np.int64)
    trade = _lookup(trade_flat, trade_idx)
    company = city + brand + trade + "有限公司"
    size_idx = _pick(rng, COMPANY_SIZE_WEIGHTS, n)
    lead_idx = _pick(rng, LEAD_SOURCE_WEIGHTS, n)
    owner_idx = _pick(rng, np.array([r[1] for r in cat.SALES_REPS]), n)

    phones = unique_integers(
        rng, n, lambda k: np.asarray(MOBILE_PREFIXES)[rng.integers(0, len(MOBILE_PREFIXES), k)] * 10**8
        + rng.integers(0, 10**8, k))
    account_no = unique_integers(rng, n, lambda k: rng.integers(10_000_000, 100_000_000, k))

    # --- value ----------------------------------------------------------------------------------
    rate_mult = rng.gamma(0.55, 1.0 / 0.55, n) * np.asarray(COMPANY_SIZE_RATE)[size_idx]
    rate_mult /= rate_mult[:n_buy].mean() if n_buy else 1.0
    spend_mult = np.exp(0.5 * rng.standard_normal(n)) * np.asarray(COMPANY_SIZE_SPEND)[size_idx]
    spend_mult /= spend_mult[:n_buy].mean() if n_buy else 1.0
    value_weight = rate_mult * spend_mult
    value_weight /= value_weight[:n_buy].mean() if n_buy else 1.0

    # --- lifetime -------------------------------------------------------------------------------
    cum_orders = timeline.cumulative("orders")
    # First purchase: any day of the history but the last week, following the business rhythm.
    first_day = np.floor(
        np.interp(rng.random(n) * cum_orders[days - 7], cum_orders, np.arange(days + 1, dtype=np.float64))
    ).astype(np.int64)
    first_day = np.clip(first_day, 0, days - 8)
    first_tod = sample_second_of_day(rng, n, "orders")
    lifetime = rng.exponential(volumes.mean_lifetime_days * np.clip(rate_mult, 0.05, 20.0) ** 0.2, n)
    churn_day = first_day + first_tod / SECONDS_PER_DAY + 1.0 + lifetime
    drift_len = rng.uniform(volumes.drift_days[0], volumes.drift_days[1], n)
    drift_day = np.maximum(first_day + 1.0, churn_day - drift_len)
    churn_day = np.where(churn_day < days, churn_day, np.inf)
    drift_day = np.where(drift_day < days, drift_day, np.inf)
    stop_day = np.minimum(churn_day, float(days))
    churn_day[is_prospect] = np.inf
    drift_day[is_prospect] = np.inf
    stop_day[is_prospect] = 0.0

    # Order rate: calibrated so the average customer has ``lines_per_customer`` lines over the history.
    lines_per_order = 1.0 + volumes.extra_lines_per_order
    extra_orders_target = max(volumes.lines_per_customer / lines_per_order - 1.0, 0.0) * n_buy
    exposure = expected_exposure(cum_orders, first_day + 1.0, drift_day, stop_day, volumes.drift_order_factor)
    exposure[is_prospect] = 0.0
    weighted = float((rate_mult * exposure).sum())
    scale = extra_orders_target / weighted if weighted > 0 else 0.0
    order_rate = np.where(is_prospect, 0.0, rate_mult * scale)

    # --- CRM --------------------------------------------------------------------------------------
    created_day = np.where(
        is_prospect,
        rng.integers(0, days, n).astype(np.float64),
        np.maximum(first_day - 1.0 - rng.exponential(45.0, n), -730.0),
    )
    created_s = timeline.epoch_seconds(np.floor(created_day).astype(np.int64),
                                       sample_second_of_day(rng, n, "office"))
    first_order_s = timeline.epoch_seconds(first_day, first_tod)
    # ERP customer codes are handed out in the order customers first bought.
    order_of_first = np.lexsort((np.arange(n_buy), first_order_s[:n_buy]))
    code_no = np.empty(n_buy, dtype=np.int64)
    code_no[order_of_first] = np.arange(n_buy) + 1001
    sales_code = pl.concat([
        ("C" + pl.Series(code_no).cast(pl.String).str.zfill(7)),
        pl.Series([None] * n_pro, dtype=pl.String),
    ])

    on_list = rng.random(n) < volumes.mailing_list_share
    n_news = round(on_list.sum() * volumes.newsletter_share / max(1e-9, 1.0 - volumes.newsletter_share))
    emails, newsletter = _make_emails(rng, sur_py, given_py, brand_py, n_news)

    accounts = pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int64),
            "is_prospect": is_prospect,
            "sales_customer_code": sales_code,
            "crm_account_id": "FX-" + pl.Series(account_no).cast(pl.String),
            "phone": pl.Series(phones).cast(pl.String),
            "email": emails,
            "contact_name": contact_name,
            "company": company,
            "city": city,
            "brand": brand,
            "trade": trade,
            "industry": _lookup(INDUSTRIES, industry_idx),
            "company_size": _lookup(COMPANY_SIZES, size_idx),
            "region": region,
            "lead_source": _lookup(LEAD_SOURCES, lead_idx),
            "owner": _lookup([r[0] for r in cat.SALES_REPS], owner_idx),
            "crm_created_s": created_s,
            "signup_day": np.where(is_prospect, -1, first_day),
            "first_order_s": pl.Series(np.where(is_prospect, 0, first_order_s)),
            "churn_day": churn_day,
            "drift_day": drift_day,
            "stop_day": stop_day,
            "rate_mult": rate_mult,
            "spend_mult": spend_mult,
            "value_weight": np.where(is_prospect, 0.0, value_weight),
            "order_rate": order_rate,
            "fav_category": _pick(rng, np.array([c[3] for c in cat.CATEGORIES]), n),
            "pref_channel": _pick(rng, SALES_CHANNEL_WEIGHTS, n),
            "open_propensity": rng.beta(2.0, 5.0, n),
            "crm_has_code": ~is_prospect & (rng.random(n) >= volumes.crm_missing_sales_code),
            "crm_has_phone": rng.random(n) >= volumes.crm_missing_phone,
            "crm_has_email": rng.random(n) >= volumes.crm_missing_email,
            "on_list": on_list,
            "list_join_day": created_day,
            "bad_address": rng.random(n) < 0.02,
        }
    ).with_columns(
        pl.when(pl.col("is_prospect")).then(None).otherwise(pl.col("first_order_s")).alias("first_order_s")
    )
    return Population(timeline=timeline, accounts=accounts, customers=n_buy, newsletter_emails=newsletter)
