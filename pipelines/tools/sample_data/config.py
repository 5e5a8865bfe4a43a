"""Settings of the sample-export generator: how dirty the exports are, how much data there is,
and the fixed lists of values (industries, channels, statuses ...) every source uses.

Everything a business analyst may want to tune lives here, with the default and what it means.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

# ---------------------------------------------------------------------------------------------
# Dirt
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirtRates:
    """How much dirt is injected into the exports. Each rate is a share of the eligible cells or rows
    of a file (for example ``phone_format=0.2`` rewrites about 20% of the non-empty phone cells).
    Counts are rounded randomly, so a rate of 0.001 on 300 rows gives 0 or 1 dirty row.

    Recoverable dirt (a cleaning step is expected to repair it):

    * ``duplicate_row``: sales order lines written twice (the copy sits right below the original).
    * ``duplicate_row_other``: the same for tickets, NPS answers, CRM follow-ups and e-mail events.
    * ``duplicate_delivery``: number of sales files delivered twice under another name
      (``orders_2025 (1).csv``, a byte-for-byte copy). 0 or 1.
    * ``missing_optional``: optional cells left empty (region, channel, category, industry ...).
    * ``name_variant``: share of sales customers whose name in the ERP differs slightly from the CRM
      (full-width or half-width brackets around the city, or "有限公司" missing). Every sales row of such
      a customer carries the variant.
    * ``phone_format``: phones written as ``+86 138-0013-8000``, ``0086 138 0013 8000`` and similar
      instead of the plain ``13800138000``.
    * ``email_format``: e-mail addresses padded with spaces and/or in mixed case.
    * ``date_format``: dates written as ``2024/8/22``, ``2024年8月22日``, date without time, or an Excel
      serial number such as ``45526`` instead of ``2024-08-22 14:03:11``.
    * ``amount_format``: money written as text, ``¥1,234.50``, ``1,234.50元``, ``RMB 1234.5``, ``￥1234.50``.

    Unrecoverable dirt (a cleaning step must set the row aside / quarantine it):

    * ``bad_date``: the main date of the row cannot be read (``2024-13-45``, ``N/A``, ``待定`` ...).
    * ``missing_customer_code``: a sales line without customer code.
    * ``bad_amount``: a sales amount that is not a number (``abc``, ``#VALUE!``, ``面议``).
    * ``csat_out_of_range``: a ticket satisfaction score outside 1-5 (0, 6, 7 or 10).
    * ``nps_out_of_range``: an NPS answer outside 0-10 (-1, 11, 12 or 15).
    """

    duplicate_row: float = 0.01
    duplicate_row_other: float = 0.003
    duplicate_delivery: int = 1
    missing_optional: float = 0.02
    name_variant: float = 0.05
    phone_format: float = 0.25
    email_format: float = 0.10
    date_format: float = 0.05
    amount_format: float = 0.05
    bad_date: float = 0.0007
    missing_customer_code: float = 0.0007
    bad_amount: float = 0.0007
    csat_out_of_range: float = 0.002
    nps_out_of_range: float = 0.002

    def scaled(self, factor: float) -> DirtRates:
        """The same rates multiplied by ``factor`` (capped at 1). ``duplicate_delivery`` stays 0 or 1:
        it is switched off when the factor is 0."""
        if factor < 0:
            raise ValueError("the dirt scale must be zero or positive")
        values: dict[str, float | int] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "duplicate_delivery":
                values[field.name] = int(value) if factor > 0 else 0
            else:
                values[field.name] = min(1.0, float(value) * factor)
        return DirtRates(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, float | int]:
        """The rates as a plain dictionary (for the manifest)."""
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# Volumes and behaviour
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Volumes:
    """How much activity the simulated customers produce. The defaults give about 20 sales lines per
    customer over the history, a handful of CRM follow-ups, about one ticket every three years and
    two e-mail campaigns a month."""

    prospect_share: float = 0.15  # extra CRM accounts that never bought, relative to customers
    lines_per_customer: float = 20.0  # average sales lines per customer over the whole history
    extra_lines_per_order: float = 1.5  # order lines = 1 + Poisson(this) -> 2.5 on average
    mean_lifetime_days: float = 1000.0  # average customer lifetime before churning (exponential)
    drift_days: tuple[int, int] = (60, 120)  # how long a customer drifts away before churning
    drift_order_factor: float = 0.35  # order intensity while drifting, relative to normal
    drift_interaction_factor: float = 0.35  # CRM follow-up intensity while drifting
    drift_ticket_factor: float = 2.5  # ticket intensity while drifting (more complaints)
    drift_open_factor: float = 0.4  # e-mail open probability while drifting
    churned_open_factor: float = 0.1  # e-mail open probability after churning
    interactions_per_year: float = 2.0  # CRM follow-ups per active customer and year
    tickets_per_year: float = 0.3  # service tickets per active customer and year
    nps_per_year: float = 0.2  # NPS answers per active customer and year
    campaigns_per_month: int = 2
    campaign_share: float = 0.15  # share of the mailing list each campaign goes to
    newsletter_share: float = 0.03  # share of list addresses nobody in the CRM owns
    mailing_list_share: float = 0.92  # share of CRM accounts whose address is on the mailing list
    crm_missing_sales_code: float = 0.08  # buyers whose CRM account lacks the ERP customer code
    crm_missing_phone: float = 0.10
    crm_missing_email: float = 0.15
    service_by_phone: float = 0.6  # tickets / NPS answers identified by phone (the rest by e-mail)
    max_rows_per_sheet: int = 1_000_000  # tickets workbook: rows per sheet before splitting


# ---------------------------------------------------------------------------------------------
# Value sets (what the files contain)
# ---------------------------------------------------------------------------------------------

SOURCES: tuple[str, ...] = ("sales", "crm", "service", "email")

INDUSTRIES: tuple[str, ...] = ("制造业", "零售", "互联网", "金融", "医疗", "教育", "物流", "餐饮")
INDUSTRY_WEIGHTS: tuple[float, ...] = (0.22, 0.18, 0.14, 0.07, 0.09, 0.08, 0.12, 0.10)

COMPANY_SIZES: tuple[str, ...] = ("1-49", "50-199", "200-999", "1000+")
COMPANY_SIZE_WEIGHTS: tuple[float, ...] = (0.45, 0.30, 0.17, 0.08)
# How much more often (order rate) and how much more per order (spend) bigger companies buy.
COMPANY_SIZE_RATE: tuple[float, ...] = (0.7, 1.0, 1.5, 2.2)
COMPANY_SIZE_SPEND: tuple[float, ...] = (0.7, 1.0, 1.6, 2.5)

REGIONS: tuple[str, ...] = ("华东", "华北", "华南", "华中", "西南", "西北", "东北")

LEAD_SOURCES: tuple[str, ...] = ("官网", "展会", "转介绍", "广告", "电话营销")
LEAD_SOURCE_WEIGHTS: tuple[float, ...] = (0.30, 0.20, 0.22, 0.16, 0.12)

SALES_CHANNELS: tuple[str, ...] = (
    "Tmall", "JD", "WeChat Mini Program", "Offline Store", "Direct Sales", "Distributor",
)
SALES_CHANNEL_WEIGHTS: tuple[float, ...] = (0.20, 0.17, 0.15, 0.12, 0.26, 0.10)

ORDER_STATUSES_EN: tuple[str, ...] = ("completed", "refunded", "cancelled")
ORDER_STATUSES_CN: tuple[str, ...] = ("已完成", "已退款", "已取消")
ORDER_STATUS_WEIGHTS: tuple[float, ...] = (0.92, 0.04, 0.04)

INTERACTION_TYPES: tuple[str, ...] = ("电话", "拜访", "会议", "微信")
INTERACTION_TYPE_WEIGHTS: tuple[float, ...] = (0.38, 0.17, 0.10, 0.35)

OPPORTUNITY_OPEN_STAGES: tuple[str, ...] = ("Qualification", "Needs Analysis", "Proposal", "Negotiation")
OPPORTUNITY_WON_STAGE = "Closed Won"
OPPORTUNITY_LOST_STAGE = "Closed Lost"
OPPORTUNITY_STATUSES: tuple[str, ...] = ("Won", "Lost", "Open")

TICKET_CATEGORIES: tuple[str, ...] = ("Complaint", "Inquiry", "Technical Issue", "Return & Refund", "Delivery")
TICKET_CATEGORY_WEIGHTS: tuple[float, ...] = (0.10, 0.36, 0.20, 0.14, 0.20)
TICKET_CATEGORY_WEIGHTS_DRIFT: tuple[float, ...] = (0.38, 0.18, 0.16, 0.16, 0.12)
TICKET_PRIORITIES: tuple[str, ...] = ("Low", "Medium", "High", "Urgent")
TICKET_STATUSES: tuple[str, ...] = ("Open", "Pending", "Resolved", "Closed")
TICKET_CHANNELS: tuple[str, ...] = ("Phone", "Email", "WeChat", "Web")

EMAIL_EVENTS: tuple[str, ...] = ("sent", "delivered", "open", "click", "bounce", "unsubscribe")
