"""Identity resolution: hand-made cases of each rule, and precision / recall against the sample
generator's truth on the default sample (2,000 customers, seed 7)."""

import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from assets.common.settings import PathSettings
from assets.identity.logic import build_customers, build_identity_map, install_identity_functions
from pipelines.tools.identity_quality import evaluate_identity
from tests.conftest import default_sample


def crm_id(account_id: str) -> str:
    return "C" + hashlib.md5(f"crm:{account_id}".encode()).hexdigest()[:12]


def sales_id(code: str) -> str:
    return "C" + hashlib.md5(f"sales:{code}".encode()).hexdigest()[:12]


# --- hand-made staging tables -----------------------------------------------------------------------


def resolve(crm=(), sales=(), tickets=(), nps=(), emails=()) -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the given staging rows, identity map and customers built.

    crm: (account_id, sales_customer_code, company, phone_e164, email, created_date);
    sales: (customer_code, customer_name); tickets / nps: (id, phone_e164, email); emails: addresses.
    """
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA staging; CREATE SCHEMA core;")
    conn.execute("""CREATE TABLE staging.crm_accounts (account_id VARCHAR, sales_customer_code VARCHAR,
        contact_name VARCHAR, company VARCHAR, industry VARCHAR, company_size VARCHAR, region VARCHAR,
        phone_e164 VARCHAR, email VARCHAR, created_date DATE, lead_source VARCHAR, owner VARCHAR)""")
    conn.execute("""CREATE TABLE staging.sales_order_lines (order_id VARCHAR, customer_code VARCHAR,
        customer_name VARCHAR, region VARCHAR, order_date DATE)""")
    conn.execute("CREATE TABLE staging.service_tickets (ticket_id VARCHAR, phone_e164 VARCHAR, email VARCHAR)")
    conn.execute("CREATE TABLE staging.service_nps (response_id VARCHAR, phone_e164 VARCHAR, email VARCHAR)")
    conn.execute("CREATE TABLE staging.email_events (email VARCHAR, campaign_id VARCHAR)")
    for account_id, code, company, phone, email, created in crm:
        conn.execute("INSERT INTO staging.crm_accounts VALUES (?, ?, NULL, ?, NULL, NULL, '华东', ?, ?, ?, NULL, NULL)",
                     [account_id, code, company, phone, email, created])
    for i, (code, name) in enumerate(sales):
        conn.execute("INSERT INTO staging.sales_order_lines VALUES (?, ?, ?, '华东', DATE '2025-01-05')",
                     [f"O{i}", code, name])
    for table, rows in (("service_tickets", tickets), ("service_nps", nps)):
        for row in rows:
            conn.execute(f"INSERT INTO staging.{table} VALUES (?, ?, ?)", list(row))
    for address in emails:
        conn.execute("INSERT INTO staging.email_events VALUES (?, 'CMP1')", [address])
    build_identity_map(conn)
    build_customers(conn)
    return conn


def link(conn: duckdb.DuckDBPyConnection, source: str, key: str) -> tuple:
    return conn.execute("SELECT customer_id, match_rule, confidence FROM core.identity_map "
                        "WHERE source = ? AND source_key = ?", [source, key]).fetchone()


HANGZHOU = "杭州瑞达科技有限公司"


@pytest.mark.parametrize("erp_name", [
    "瑞达科技（杭州）有限公司", "瑞达科技(杭州)有限公司", "杭州瑞达科技",  # the generator's variants
    " 杭州 瑞达科技 有限公司 ", "杭州市瑞达科技股份有限公司", "【杭州】瑞达科技有限公司",
])
def test_company_name_variants_link_to_the_crm_account_without_erp_code(erp_name):
    conn = resolve(crm=[("FX-1", None, HANGZHOU, None, None, date(2024, 1, 1)),
                        ("FX-2", "C2", "北京远景物流有限公司", None, None, date(2024, 1, 1))],
                   sales=[("C9", erp_name), ("C2", "北京远景物流有限公司")])
    assert link(conn, "sales_order_lines", "C9") == (crm_id("FX-1"), "company name", 0.8)
    assert link(conn, "sales_order_lines", "C2") == (crm_id("FX-2"), "crm sales code", 1.0)
    # the customer carries the linked code; no separate sales-only customer is made
    assert conn.execute("SELECT customer_id, sales_customer_code FROM core.customers ORDER BY ALL").fetchall() == \
        sorted([(crm_id("FX-1"), "C9"), (crm_id("FX-2"), "C2")])


def test_company_keys_ignore_brackets_legal_forms_width_and_case():
    conn = duckdb.connect()
    install_identity_functions(conn)

    def key(name):
        return conn.execute("SELECT identity_company_key(?)", [name]).fetchone()[0]

    names = (HANGZHOU, "瑞达科技（杭州）有限公司", "瑞达科技(杭州)有限责任公司", "杭州瑞达科技集团")
    assert {key(n) for n in names} == {"杭州瑞达科技"}
    assert key("ＡＢＣ Trading Co., Ltd.") == key("abc trading limited") == "abctrading"
    assert key("有限公司") is None and key(None) is None
    assert key("杭州瑞达科技有限公司上海分公司") != key(HANGZHOU)  # a branch is not the company
    assert conn.execute("SELECT identity_place_free_key(identity_company_key('上海市瑞达科技有限公司'))"
                        ).fetchone()[0] == "瑞达科技"


def test_an_ambiguous_company_name_leaves_the_code_as_its_own_customer():
    two_accounts = resolve(crm=[("FX-1", None, HANGZHOU, None, None, date(2024, 1, 1)),
                                ("FX-2", None, "杭州瑞达科技（有限公司）", None, None, date(2024, 2, 1))],
                           sales=[("C9", "瑞达科技（杭州）有限公司")])
    assert link(two_accounts, "sales_order_lines", "C9") == (sales_id("C9"), "sales only, name ambiguous", 0.5)
    assert two_accounts.execute("SELECT company FROM core.customers WHERE customer_id = ?",
                                [sales_id("C9")]).fetchall() == [("瑞达科技（杭州）有限公司",)]
    two_codes = resolve(crm=[("FX-1", None, HANGZHOU, None, None, date(2024, 1, 1))],
                        sales=[("C8", HANGZHOU), ("C9", "杭州瑞达科技")])
    assert [link(two_codes, "sales_order_lines", c)[1] for c in ("C8", "C9")] == ["sales only, name ambiguous"] * 2


def test_an_account_that_already_has_an_erp_code_is_not_a_name_candidate():
    conn = resolve(crm=[("FX-1", "C1", HANGZHOU, None, None, date(2024, 1, 1)),
                        ("FX-2", None, HANGZHOU, None, None, date(2024, 3, 1))],
                   sales=[("C1", HANGZHOU), ("C9", HANGZHOU)])
    assert link(conn, "sales_order_lines", "C1") == (crm_id("FX-1"), "crm sales code", 1.0)
    assert link(conn, "sales_order_lines", "C9") == (crm_id("FX-2"), "company name", 0.8)
    only_coded = resolve(crm=[("FX-1", "C1", HANGZHOU, None, None, date(2024, 1, 1))], sales=[("C9", HANGZHOU)])
    assert link(only_coded, "sales_order_lines", "C9") == (sales_id("C9"), "sales only, name ambiguous", 0.5)


def test_short_or_missing_names_never_link():
    conn = resolve(crm=[("FX-1", None, "瑞达有限公司", None, None, date(2024, 1, 1))],
                   sales=[("C9", "瑞达"), ("C8", None), ("C7", "远景物流有限公司")])
    assert [link(conn, "sales_order_lines", c) for c in ("C7", "C8", "C9")] == [
        (sales_id(c), "sales only", 1.0) for c in ("C7", "C8", "C9")]
    assert conn.execute("SELECT count(*) FROM core.customers").fetchone()[0] == 4


def test_a_name_without_its_city_links_only_when_one_account_fits():
    single = resolve(crm=[("FX-1", None, HANGZHOU, None, None, date(2024, 1, 1))], sales=[("C9", "瑞达科技有限公司")])
    assert link(single, "sales_order_lines", "C9") == (crm_id("FX-1"), "company name without place", 0.7)
    two_cities = resolve(crm=[("FX-1", None, HANGZHOU, None, None, date(2024, 1, 1)),
                              ("FX-2", "C2", "北京瑞达科技有限公司", None, None, date(2024, 1, 1))],
                         sales=[("C9", "瑞达科技有限公司")])
    assert link(two_cities, "sales_order_lines", "C9") == (sales_id("C9"), "sales only, name ambiguous", 0.5)


def test_tickets_nps_and_email_link_by_phone_then_email_and_unmatched_stays_empty():
    conn = resolve(
        crm=[("FX-1", "C1", HANGZHOU, "+8613800138000", "zhang@example.com", date(2024, 1, 1)),
             ("FX-2", "C2", "北京远景物流有限公司", "+8613900139000", "li@example.com", date(2024, 1, 1))],
        tickets=[("T1", "+8613800138000", None), ("T2", None, "li@example.com"),
                 ("T3", "+8613800138000", "zhang@example.com"), ("T4", "+8613700000000", "nobody@example.com"),
                 ("T5", "+8613800138000", "li@example.com")],
        nps=[("N1", None, "zhang@example.com")],
        emails=["li@example.com", "stranger@example.com"],
    )
    assert link(conn, "service_tickets", "T1") == (crm_id("FX-1"), "phone", 0.95)
    assert link(conn, "service_tickets", "T2") == (crm_id("FX-2"), "email", 0.95)
    assert link(conn, "service_tickets", "T3") == (crm_id("FX-1"), "phone and email", 0.99)
    assert link(conn, "service_tickets", "T4") == (None, "unmatched", 0.0)
    assert link(conn, "service_tickets", "T5") == (crm_id("FX-1"), "phone, email conflict", 0.6)
    assert link(conn, "service_nps", "N1") == (crm_id("FX-1"), "email", 0.95)
    assert link(conn, "email_events", "li@example.com") == (crm_id("FX-2"), "email", 0.95)
    assert link(conn, "email_events", "stranger@example.com") == (None, "unmatched", 0.0)


def test_a_phone_held_by_two_accounts_goes_to_the_older_one_and_says_so():
    crm = [("FX-9", None, HANGZHOU, "+8613800138000", "new@example.com", date(2024, 6, 1)),
           ("FX-1", None, "杭州瑞达科技", "+8613800138000", None, date(2024, 1, 1)),
           ("FX-5", None, "杭州瑞达", "+8613800138000", None, None)]
    tickets = [("T1", "+8613800138000", None), ("T2", "+8613800138000", "new@example.com")]
    first = resolve(crm=crm, tickets=tickets)
    again = resolve(crm=list(reversed(crm)), tickets=tickets)
    assert link(first, "service_tickets", "T1") == link(again, "service_tickets", "T1") == (
        crm_id("FX-1"), "phone, shared", 0.317)
    # the e-mail singles out one of the accounts holding the phone
    assert link(first, "service_tickets", "T2") == (crm_id("FX-9"), "phone and email", 0.99)
    # every CRM account stays a customer of its own
    assert first.execute("SELECT count(*) FROM core.customers").fetchone()[0] == 3


def test_an_erp_code_listed_on_two_accounts_goes_to_the_older_one():
    conn = resolve(crm=[("FX-2", "C1", HANGZHOU, None, None, date(2024, 5, 1)),
                        ("FX-3", "C1", "杭州瑞达科技", None, None, date(2024, 2, 1))],
                   sales=[("C1", HANGZHOU)])
    assert link(conn, "sales_order_lines", "C1") == (crm_id("FX-3"), "crm sales code, shared", 0.5)


def test_identity_map_keeps_its_columns_and_an_empty_inbox_works():
    conn = resolve()
    assert [c[0] for c in conn.execute("DESCRIBE core.identity_map").fetchall()] == [
        "source", "source_key", "customer_id", "match_rule", "confidence"]
    assert conn.execute("SELECT count(*) FROM core.customers").fetchone()[0] == 0


# --- the default generated sample against its truth ------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[PathSettings, Path]:
    root = tmp_path_factory.mktemp("identity")
    paths, result = default_sample(root)
    metadata = result.asset_materializations_for_node("core__identity_map")[0].metadata
    assert "company name" in metadata["links_by_rule"].value  # the UI shows how many records each rule linked
    return paths, root / "truth"


def test_precision_and_recall_against_the_truth_are_at_least_98_percent(sample):
    paths, truth = sample
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        quality = evaluate_identity(conn, truth)
    print("\n" + quality.report())
    for source, q in quality.by_source.items():
        assert q.records > 0, source
        assert q.precision >= 0.98, (source, q)
        assert q.recall_linkable >= 0.98, (source, q)
    total = quality.by_source["all"]
    assert total.linkable <= total.expected <= total.records
    assert total.recall_overall >= 0.85  # the rest carry an identifier only their own system knows
    assert total.missing < 0.01 * total.records  # truth records quarantined before identity resolution
    assert quality.pairwise_precision >= 0.98
    # sales codes the CRM does not list are linked by company name, ERP name variants included
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        variants = conn.execute("""SELECT count(*) FROM core.identity_map m
            JOIN (SELECT DISTINCT customer_code, customer_name FROM staging.sales_order_lines) s
              ON s.customer_code = m.source_key
            WHERE m.source = 'sales_order_lines' AND m.match_rule = 'company name'
              AND (s.customer_name LIKE '%（%' OR s.customer_name LIKE '%(%' OR s.customer_name NOT LIKE '%公司')
        """).fetchone()[0]
    assert variants > 0


def test_identity_map_and_customers_are_consistent(sample):
    paths, _ = sample
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        def one(sql):
            return conn.execute(sql).fetchone()[0]

        assert one("SELECT count(*) - count(DISTINCT (source, source_key)) FROM core.identity_map") == 0
        assert one("SELECT count(*) FROM core.identity_map WHERE confidence NOT BETWEEN 0 AND 1") == 0
        assert one("SELECT count(*) FROM core.identity_map "
                   "WHERE (customer_id IS NULL) <> (match_rule = 'unmatched')") == 0
        # every linked record's customer exists, once
        assert one("SELECT count(*) - count(DISTINCT customer_id) FROM core.customers") == 0
        assert one("""SELECT count(*) FROM core.identity_map m ANTI JOIN core.customers c USING (customer_id)
                      WHERE m.customer_id IS NOT NULL""") == 0
        # every sales code is mapped (core.order_lines joins on it) and every CRM account is a customer
        assert one("""SELECT count(DISTINCT customer_code) FROM staging.sales_order_lines l ANTI JOIN
                      core.identity_map m ON m.source = 'sales_order_lines' AND m.source_key = l.customer_code""") == 0
        assert one("SELECT count(*) FROM staging.crm_accounts") == one(
            "SELECT count(*) FROM core.customers WHERE crm_account_id IS NOT NULL")
        assert one("SELECT count(*) FROM staging.sales_order_lines") == one("SELECT count(*) FROM core.order_lines")


def test_rebuilding_gives_identical_tables(sample, tmp_path):
    paths, _ = sample
    copy = tmp_path / "copy.duckdb"
    shutil.copy(paths.warehouse_path, copy)
    tables = ("core.identity_map", "core.customers")
    with duckdb.connect(paths.warehouse_path, read_only=True) as conn:
        before = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    with duckdb.connect(str(copy)) as conn:
        build_identity_map(conn)
        build_customers(conn)
        after = {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    assert before == after
