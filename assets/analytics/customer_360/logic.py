"""The customer 360 profile (``analytics.customer_360``): its activity columns. The statement is
``sql/customer_360.sql``.

One set-based statement: each source is aggregated per customer once (orders, order lines, CRM
interactions, tickets, NPS answers, e-mail events, opportunities), then everything is LEFT JOINed
onto ``core.customers``. ``$as_of`` is the as-of date; nothing dated after it counts.

Missing data, on purpose not zero:

- counts (interactions, tickets, complaints, open opportunity value) are 0 when the source system
  has records up to the as-of date but none for this customer, and empty (NULL) when the source has
  no records at all up to the as-of date (that system was not exported: "unknown", not "none");
  ``unsubscribed`` follows the same rule (false / NULL);
- dates, means, last values and rates are empty when there is nothing to take them from (no
  contact, no CSAT, no NPS answer, no delivered marketing e-mail in the window).
"""

from __future__ import annotations

from collections.abc import Sequence

# The marketing e-mail rates look at messages sent in this many days up to the as-of date.
EMAIL_WINDOW_DAYS = 90

# CRM interaction types counted separately, and the column-name stem of each.
INTERACTION_TYPES: dict[str, str] = {
    "call": "calls",
    "visit": "visits",
    "meeting": "meetings",
    "wechat": "wechats",
    "email": "crm_emails",
}


def interaction_columns(windows: Sequence[int]) -> list[str]:
    """The activity count columns, e.g. calls_30d … crm_emails_30d, interactions_30d, per window."""
    return [f"{stem}_{w}d" for w in windows for stem in (*INTERACTION_TYPES.values(), "interactions")]
