"""How well ``core.identity_map`` matches the sample generator's ground truth (``truth/`` folder).

Two measures, both computed in DuckDB from ``truth/identity.parquet`` (kind, source_key, true
customer) and ``truth/customers.parquet`` (per true customer: CRM account id, phone, e-mail, company
and the ``crm_has_*`` flags telling which identifiers the CRM holds).

**Per-record linkage** (the headline figures). Every CRM account is a customer by construction, so
the question is whether each *other* record (sales customer code, ticket, NPS answer, e-mail
address) was attached to the right CRM customer. For such a record:

* *expected* customer: the pipeline's customer of its true customer's CRM account (none when the
  truth gives no customer, i.e. newsletter-only addresses, or that account is not in the warehouse);
* *predicted* customer: the record's ``customer_id`` when it is a CRM customer; none when the record
  is unmatched or became a customer of its own (``sales only``);
* the record is *correctly linked* when predicted = expected (and not none).

``precision = correctly linked / predicted``, ``recall = correctly linked / expected``. A wrong link
counts against both. CRM accounts (always right) are left out so they cannot inflate the figures.

**Linkable records.** A record can only be linked when the identifier it carries is also held by
the CRM for its true customer; otherwise no method can link it (an address only the mailing list
knows, a ticket phone missing from the CRM). From the truth, a record with an expected customer is
*linkable* when:

* sales customer code: ``crm_has_sales_code`` of its true customer, or else the true customer's CRM
  company name is carried by no other CRM account lacking an ERP code (the name then identifies it);
* ticket / NPS answer: it carries the true customer's phone and ``crm_has_phone``, or the true
  customer's e-mail and ``crm_has_email`` (identifiers as normalised in staging);
* e-mail address: ``crm_has_email`` of its true customer.

``recall_linkable`` uses linkable records only, ``recall_overall`` every record with an expected
customer. Records of the truth that never reached ``core.identity_map`` (their rows were quarantined
upstream, e.g. every order line of a code had an unreadable date) are counted as ``missing`` and are
not part of either recall: they are a staging matter, not an identity one.

**Pairwise** (secondary). Over every record in both the map and the truth (CRM accounts included),
the pairs of records put in one customer by the pipeline versus by the truth; records without a
customer are singletons. ``pairwise_precision = pairs in both / pipeline pairs`` and
``pairwise_recall = pairs in both / true pairs``. Customers with many tickets weigh more here.

Run ``python -m pipelines.tools.identity_quality WAREHOUSE TRUTH_DIR`` to print the figures.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import duckdb

SOURCES = ("sales_order_lines", "service_tickets", "service_nps", "email_events")


@dataclass(frozen=True)
class LinkQuality:
    """Per-record linkage counts of one source (or ``all``)."""

    source: str
    records: int
    predicted: int
    expected: int
    correct: int
    linkable: int
    linkable_correct: int
    missing: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall_overall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    @property
    def recall_linkable(self) -> float:
        return self.linkable_correct / self.linkable if self.linkable else 1.0


@dataclass(frozen=True)
class IdentityQuality:
    """Per-record figures by source (plus ``all``) and the pairwise figures."""

    by_source: dict[str, LinkQuality]
    pairwise_precision: float
    pairwise_recall: float

    def report(self) -> str:
        """A plain-text table of the figures."""
        lines = [f"{'source':<18} {'records':>8} {'linked':>7} {'correct':>7} {'expected':>8} {'linkable':>8} "
                 f"{'missing':>7} {'precision':>9} {'rec.link':>8} {'rec.all':>8}"]
        for q in self.by_source.values():
            lines.append(f"{q.source:<18} {q.records:>8} {q.predicted:>7} {q.correct:>7} {q.expected:>8} "
                         f"{q.linkable:>8} {q.missing:>7} {q.precision:>9.4f} {q.recall_linkable:>8.4f} "
                         f"{q.recall_overall:>8.4f}")
        lines.append(f"pairwise precision {self.pairwise_precision:.4f}, recall {self.pairwise_recall:.4f}")
        return "\n".join(lines)


def _truth_views(conn: duckdb.DuckDBPyConnection, truth_dir: Path) -> None:
    identity = (truth_dir / "identity.parquet").as_posix().replace("'", "''")
    people = (truth_dir / "customers.parquet").as_posix().replace("'", "''")
    conn.execute(f"""CREATE OR REPLACE TEMP VIEW quality_truth AS
        SELECT kind AS source, source_key, customer_id AS true_customer FROM read_parquet('{identity}')""")
    conn.execute(f"CREATE OR REPLACE TEMP VIEW quality_people AS SELECT * FROM read_parquet('{people}')")


RECORDS_SQL = """
WITH crm_customers AS (
    SELECT DISTINCT customer_id FROM core.identity_map WHERE source = 'crm_accounts'
),
anchor AS (
    SELECT p.customer_id AS true_customer, m.customer_id AS pipeline_customer
    FROM quality_people p
    JOIN core.identity_map m ON m.source = 'crm_accounts' AND m.source_key = p.crm_account_id
),
name_unique AS (
    SELECT company, count(*) = 1 AS unique_name
    FROM quality_people WHERE crm_account_id IS NOT NULL AND NOT crm_has_sales_code GROUP BY 1
),
contacts AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
),
judged AS (
    SELECT m.source,
           CASE WHEN m.customer_id IN (SELECT customer_id FROM crm_customers) THEN m.customer_id END
               AS predicted,
           a.pipeline_customer AS expected,
           a.pipeline_customer IS NOT NULL AND coalesce(CASE m.source
               WHEN 'sales_order_lines' THEN p.crm_has_sales_code OR n.unique_name
               WHEN 'email_events' THEN p.crm_has_email
               ELSE (c.phone_e164 = p.phone_e164 AND p.crm_has_phone) OR (c.email = p.email AND p.crm_has_email)
           END, false) AS linkable
    FROM core.identity_map m
    JOIN quality_truth t ON t.source = m.source AND t.source_key = m.source_key
    LEFT JOIN quality_people p ON p.customer_id = t.true_customer
    LEFT JOIN anchor a ON a.true_customer = t.true_customer
    LEFT JOIN name_unique n ON n.company = p.company
    LEFT JOIN contacts c ON c.source = m.source AND c.source_key = m.source_key
    WHERE m.source <> 'crm_accounts'
),
missing AS (
    SELECT t.source, count(*) AS missing
    FROM quality_truth t ANTI JOIN core.identity_map m ON m.source = t.source AND m.source_key = t.source_key
    GROUP BY 1
)
SELECT j.source, count(*) AS records, count(predicted) AS predicted, count(expected) AS expected,
       count_if(predicted = expected) AS correct, count_if(linkable) AS linkable,
       count_if(linkable AND predicted = expected) AS linkable_correct,
       coalesce(any_value(mi.missing), 0) AS missing
FROM judged j LEFT JOIN missing mi ON mi.source = j.source
GROUP BY j.source
"""

PAIRWISE_SQL = """
WITH records AS (
    SELECT coalesce(m.customer_id, 'none:' || m.source || ':' || m.source_key) AS pipeline_cluster,
           coalesce(CAST(t.true_customer AS VARCHAR), 'none:' || m.source || ':' || m.source_key) AS true_cluster
    FROM core.identity_map m
    JOIN quality_truth t ON t.source = m.source AND t.source_key = m.source_key
),
cells AS (SELECT pipeline_cluster, true_cluster, count(*) AS n FROM records GROUP BY ALL),
pipeline AS (SELECT sum(n) AS n FROM cells GROUP BY pipeline_cluster),
truth AS (SELECT sum(n) AS n FROM cells GROUP BY true_cluster)
SELECT (SELECT sum(n * (n - 1) / 2) FROM cells) AS both_pairs,
       (SELECT sum(n * (n - 1) / 2) FROM pipeline) AS pipeline_pairs,
       (SELECT sum(n * (n - 1) / 2) FROM truth) AS true_pairs
"""


def evaluate_identity(conn: duckdb.DuckDBPyConnection, truth_dir: Path) -> IdentityQuality:
    """Compare the warehouse's ``core.identity_map`` (on ``conn``) with the truth in ``truth_dir``."""
    _truth_views(conn, Path(truth_dir))
    rows = {r[0]: LinkQuality(*r) for r in conn.execute(RECORDS_SQL).fetchall()}
    by_source = {s: rows.get(s, LinkQuality(s, 0, 0, 0, 0, 0, 0, 0)) for s in SOURCES}
    totals = [sum(getattr(q, f) for q in by_source.values())
              for f in ("records", "predicted", "expected", "correct", "linkable", "linkable_correct", "missing")]
    by_source["all"] = LinkQuality("all", *totals)
    both, pipeline, truth = conn.execute(PAIRWISE_SQL).fetchone()
    return IdentityQuality(
        by_source=by_source,
        pairwise_precision=float(both / pipeline) if pipeline else 1.0,
        pairwise_recall=float(both / truth) if truth else 1.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Identity resolution against the sample generator's truth.")
    parser.add_argument("warehouse", help="DuckDB warehouse file after a pipeline run")
    parser.add_argument("truth", help="the generator's truth folder")
    args = parser.parse_args()
    with duckdb.connect(args.warehouse, read_only=True) as conn:
        print(evaluate_identity(conn, Path(args.truth)).report())


if __name__ == "__main__":
    main()
