"""Identity resolution: which records of the four systems belong to one customer.

Every CRM account is a customer; the other records are attached to it by the rules below, strongest
first (a record takes the first rule that links it). Each link has a ``match_rule`` and a
``confidence`` (0-1) in ``core.identity_map``.

=============================  ==========  ===========================================================
match_rule                     confidence  meaning
=============================  ==========  ===========================================================
crm account                    1.0         the CRM account itself (the customer's anchor)
crm sales code                 1.0         sales customer code listed as ERP code on one CRM account
company name                   0.8         unlisted sales code whose company name (normalised, see
                                           below) is that of exactly one CRM account without ERP code,
                                           and no other unlisted code carries that name
company name without place     0.7         as above, comparing names with the place prefix removed
                                           (``瑞达科技有限公司`` = ``杭州瑞达科技有限公司``); only when the
                                           full name matches no CRM account at all, and the shortened
                                           name belongs to exactly one CRM account (it without ERP code)
sales only                     1.0         sales code no CRM account lists: a customer of its own
sales only, name ambiguous     0.5         the same, but its company name fits several CRM accounts or
                                           is shared with another code (or with an account that has an
                                           ERP code): left apart for a person to decide
phone and email                0.99        ticket / NPS answer whose phone and e-mail both belong to
                                           the account
phone                          0.95        ticket / NPS answer with the phone (E.164) of the account
email                          0.95        ticket / NPS answer / e-mail-marketing address with the
                                           account's e-mail (lower case)
phone, email conflict          0.6         phone and e-mail point at different accounts: the phone wins
unmatched                      0.0         no account holds the phone, e-mail or name (customer empty)
=============================  ==========  ===========================================================

**Conflicts.** When one identifier (ERP code, phone, e-mail) is held by several CRM accounts, the
record goes to the account created first (then the smallest account id), the rule gets ``, shared``
appended (``phone, shared``, ``crm sales code, shared``) and the confidence is divided by the number of
accounts holding the identifier. The CRM accounts themselves are never merged: each stays a customer.

**Company key.** Upper/lower case, full-width characters, spaces and punctuation are ignored; text in
brackets (full- or half-width) is moved to the front, so ``瑞达科技（杭州）有限公司`` and
``瑞达科技(杭州)有限公司`` read ``杭州瑞达科技``; legal forms at the end (有限公司, 有限责任公司,
股份有限公司, 集团, 公司, Co. Ltd., Inc. ...) are dropped, so ``杭州瑞达科技`` matches too. Keys shorter than
``MIN_COMPANY_KEY_CHARS`` characters never link. The *place-free* key further drops leading province
and city names (``PLACE_NAMES``, with 省/市/自治区). A sorted-character key was rejected: it makes
different brands such as 瑞达 and 达瑞 equal.

Customer ids are derived from the anchoring record (``C`` + 12 hex digits of the MD5 of
``crm:<account id>`` or, for a sales-only customer, ``sales:<customer code>``), so they stay the same
from run to run. Everything is set-based DuckDB SQL: grouping and hash joins on distinct keys, no
per-row work outside the database.
"""

from __future__ import annotations

import duckdb

MIN_COMPANY_KEY_CHARS = 4

# Legal forms dropped from the end of a company name (after lower-casing and removing punctuation).
LEGAL_SUFFIXES: tuple[str, ...] = (
    "股份有限公司", "有限责任公司", "有限公司", "股份公司", "集团公司", "总公司", "集团", "控股",
    "coltd", "colimited", "limited", "ltd", "incorporated", "inc", "corporation", "corp", "llc", "gmbh",
    "plc", "company", "group",
)

# Provinces, autonomous regions and cities that may open a company name (dropped by the place-free key).
PLACE_NAMES: tuple[str, ...] = (
    "中国", "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃",
    "青海", "台湾", "内蒙古", "广西壮族", "广西", "西藏", "宁夏回族", "宁夏", "新疆维吾尔", "新疆", "香港",
    "澳门",
    "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门", "无锡", "温州", "石家庄", "太原",
    "呼和浩特", "唐山", "广州", "深圳", "东莞", "佛山", "南宁", "海口", "珠海", "武汉", "长沙", "郑州", "南昌",
    "洛阳", "成都", "昆明", "贵阳", "西安", "兰州", "乌鲁木齐", "银川", "沈阳", "大连", "哈尔滨", "长春",
    "常州", "南通", "徐州", "扬州", "镇江", "泰州", "盐城", "淮安", "连云港", "嘉兴", "绍兴", "金华", "台州",
    "湖州", "舟山", "芜湖", "烟台", "潍坊", "临沂", "淄博", "威海", "济宁", "泉州", "漳州", "保定", "廊坊",
    "邯郸", "秦皇岛", "包头", "惠州", "中山", "江门", "汕头", "湛江", "桂林", "柳州", "三亚", "宜昌", "襄阳",
    "株洲", "衡阳", "岳阳", "九江", "赣州", "绵阳", "宜宾", "遵义", "宝鸡", "咸阳", "西宁", "拉萨", "鞍山",
    "大庆", "开封", "新乡", "南阳",
)

# Full-width letters and digits (Ａ, ｂ, １) read as their ASCII forms.
_FULL_WIDTH = "".join(chr(c) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)))
_HALF_WIDTH = "".join(chr(ord(c) - 0xFEE0) for c in _FULL_WIDTH)


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(sorted(set(words), key=lambda w: (-len(w), w)))


_PLACES = _alternation(PLACE_NAMES)

MACROS = [
    # Lower case, full-width letters/digits as ASCII (translate only when there are any: it is slow),
    # every opening / closing bracket as ( / ), everything else but letters and digits removed.
    rf"""CREATE OR REPLACE TEMP MACRO identity_company_text(x) AS
        regexp_replace(regexp_replace(regexp_replace(lower(
            CASE WHEN regexp_matches(CAST(x AS VARCHAR), '[\x{{FF10}}-\x{{FF5A}}]')
                 THEN translate(CAST(x AS VARCHAR), '{_FULL_WIDTH}', '{_HALF_WIDTH}')
                 ELSE CAST(x AS VARCHAR) END),
            '\p{{Ps}}', '(', 'g'), '\p{{Pe}}', ')', 'g'), '[^\p{{L}}\p{{N}}()]', '', 'g')""",
    # Legal forms at the end dropped (a lone 公司 too, but not 分公司: a branch is another entity).
    rf"""CREATE OR REPLACE TEMP MACRO identity_strip_legal(x) AS
        regexp_replace(regexp_replace(x, '({_alternation(LEGAL_SUFFIXES)})+$', ''), '([^分])公司$', '\1')""",
    # Company key from the text above: bracketed parts first, then the rest; legal forms dropped from
    # both; a leading 杭州市 read as 杭州. NULL when nothing is left.
    rf"""CREATE OR REPLACE TEMP MACRO identity_key_of_text(t) AS
        nullif(regexp_replace(
            identity_strip_legal(array_to_string(regexp_extract_all(t, '\(([^()]*)\)', 1), ''))
            || identity_strip_legal(regexp_replace(regexp_replace(t, '\([^()]*\)', '', 'g'), '[()]', '', 'g')),
            '^({_PLACES})(市|省)', '\1'), '')""",
    # Place-free key: leading province / city names (with 省, 市, 自治区 ...) dropped from a company key.
    rf"""CREATE OR REPLACE TEMP MACRO identity_place_free_key(company_key) AS
        nullif(regexp_replace(company_key, '^(({_PLACES})(特别行政区|自治区|省|市)?)+', ''), '')""",
    # The company key of a name in one call (for single values; tables use the two steps, see KEYS_SQL).
    """CREATE OR REPLACE TEMP MACRO identity_company_key(x) AS identity_key_of_text(identity_company_text(x))""",
]


def install_identity_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the company-key macros on this connection (TEMP: the warehouse file keeps no code)."""
    for statement in MACROS:
        conn.execute(statement)


# Step 1: CRM accounts with their customer id and their preference order for shared identifiers
# (created first, then smallest account id).
CRM_SQL = """
CREATE OR REPLACE TEMP TABLE identity_crm AS
SELECT account_id, sales_customer_code, phone_e164, email, company,
       'C' || left(md5('crm:' || account_id), 12) AS customer_id,
       strftime(coalesce(created_date, DATE '9999-12-31'), '%Y-%m-%d') || ' ' || account_id AS preference
FROM staging.crm_accounts
"""

# Step 2: every sales customer code with the CRM accounts listing it, and the distinct names of the
# codes no account lists (only those need a company-name match; reading names for every code would
# double the cost of this step on large order histories).
SALES_CODES_SQL = """
CREATE OR REPLACE TEMP TABLE identity_sales_codes AS
WITH listed AS (
    SELECT sales_customer_code AS customer_code, arg_min(customer_id, preference) AS customer_id,
           count(*) AS accounts
    FROM identity_crm WHERE sales_customer_code IS NOT NULL GROUP BY 1
)
SELECT s.customer_code, l.customer_id AS listed_customer_id, l.accounts AS listing_accounts
FROM (SELECT DISTINCT customer_code FROM staging.sales_order_lines) s
LEFT JOIN listed l USING (customer_code)
"""

UNLISTED_NAMES_SQL = """
CREATE OR REPLACE TEMP TABLE identity_unlisted_names AS
SELECT DISTINCT customer_code, customer_name
FROM staging.sales_order_lines
SEMI JOIN (SELECT customer_code FROM identity_sales_codes WHERE listed_customer_id IS NULL) USING (customer_code)
WHERE customer_name IS NOT NULL
"""

# Step 3: company keys of every distinct name involved (CRM companies, names of unlisted codes),
# computed once per name.
KEYS_SQL = """
CREATE OR REPLACE TEMP TABLE identity_company_keys AS
SELECT name, company_key, identity_place_free_key(company_key) AS place_free_key
FROM (
    SELECT name, identity_key_of_text(text) AS company_key
    FROM (
        SELECT name, identity_company_text(name) AS text
        FROM (
            SELECT company AS name FROM identity_crm WHERE company IS NOT NULL
            UNION
            SELECT customer_name FROM identity_unlisted_names
        )
    )
)
"""

# Step 4: the customer of every sales code: the listing CRM account, else a unique company-name match.
SALES_SQL = f"""
CREATE OR REPLACE TEMP TABLE identity_sales AS
WITH crm AS (
    SELECT c.customer_id, c.preference, c.sales_customer_code IS NULL AS open, k.company_key, k.place_free_key
    FROM identity_crm c JOIN identity_company_keys k ON k.name = c.company
),
unlisted AS (
    SELECT DISTINCT s.customer_code, k.company_key, k.place_free_key
    FROM identity_unlisted_names s
    JOIN identity_company_keys k ON k.name = s.customer_name
    WHERE length(k.company_key) >= {MIN_COMPANY_KEY_CHARS}
),
codes_per_key AS (SELECT company_key, count(DISTINCT customer_code) AS codes FROM unlisted GROUP BY 1),
codes_per_place_free_key AS (
    SELECT place_free_key, count(DISTINCT customer_code) AS codes FROM unlisted GROUP BY 1
),
crm_keys AS (
    SELECT company_key, count(*) AS accounts, count_if(open) AS open_accounts,
           arg_min(customer_id, preference) FILTER (WHERE open) AS open_customer_id
    FROM crm WHERE company_key IN (SELECT company_key FROM unlisted) GROUP BY 1
),
crm_place_free_keys AS (
    SELECT place_free_key, count(*) AS accounts, bool_and(open) AS open, min(customer_id) AS customer_id
    FROM crm WHERE place_free_key IN (SELECT place_free_key FROM unlisted) GROUP BY 1
),
by_name AS (
    SELECT u.customer_code,
           count(k.company_key) AS key_hits,
           count(*) FILTER (WHERE k.open_accounts > 0) AS open_hits,
           coalesce(bool_and(k.open_accounts = 1 AND c.codes = 1) FILTER (WHERE k.open_accounts > 0), false)
               AS unambiguous,
           count(DISTINCT k.open_customer_id) AS targets,
           min(k.open_customer_id) AS customer_id
    FROM unlisted u
    JOIN codes_per_key c USING (company_key)
    LEFT JOIN crm_keys k USING (company_key)
    GROUP BY 1
),
by_place_free_name AS (
    SELECT u.customer_code,
           count(k.place_free_key) AS hits,
           coalesce(bool_and(k.accounts = 1 AND k.open AND c.codes = 1) FILTER (WHERE k.accounts > 0), false)
               AS unambiguous,
           count(DISTINCT k.customer_id) AS targets,
           min(k.customer_id) AS customer_id
    FROM unlisted u
    JOIN codes_per_place_free_key c USING (place_free_key)
    LEFT JOIN crm_place_free_keys k USING (place_free_key)
    WHERE length(u.place_free_key) >= {MIN_COMPANY_KEY_CHARS}
    GROUP BY 1
),
decided AS (
    SELECT s.customer_code, s.listed_customer_id, s.listing_accounts,
           CASE
               WHEN s.listed_customer_id IS NOT NULL THEN 'listed'
               WHEN n.open_hits > 0 AND n.unambiguous AND n.targets = 1 THEN 'name'
               WHEN coalesce(n.key_hits, 0) = 0 AND p.hits > 0 AND p.unambiguous AND p.targets = 1
                   THEN 'place-free name'
               WHEN n.key_hits > 0 OR p.hits > 0 THEN 'ambiguous'
               ELSE 'none'
           END AS outcome,
           n.customer_id AS name_customer_id, p.customer_id AS place_free_customer_id
    FROM identity_sales_codes s
    LEFT JOIN by_name n USING (customer_code)
    LEFT JOIN by_place_free_name p USING (customer_code)
)
SELECT customer_code,
       CASE outcome
           WHEN 'listed' THEN listed_customer_id
           WHEN 'name' THEN name_customer_id
           WHEN 'place-free name' THEN place_free_customer_id
           ELSE 'C' || left(md5('sales:' || customer_code), 12)
       END AS customer_id,
       CASE outcome
           WHEN 'listed' THEN 'crm sales code' || CASE WHEN listing_accounts > 1 THEN ', shared' ELSE '' END
           WHEN 'name' THEN 'company name'
           WHEN 'place-free name' THEN 'company name without place'
           WHEN 'ambiguous' THEN 'sales only, name ambiguous'
           ELSE 'sales only'
       END AS match_rule,
       CAST(CASE outcome
           WHEN 'listed' THEN round(1.0 / listing_accounts, 3)
           WHEN 'name' THEN 0.8
           WHEN 'place-free name' THEN 0.7
           WHEN 'ambiguous' THEN 0.5
           ELSE 1.0
       END AS DOUBLE) AS confidence
FROM decided
"""

# Step 5: tickets, NPS answers and e-mail-marketing addresses, by phone and e-mail. Every account
# holding the record's phone or e-mail is a candidate; the best is the one holding both, else the
# phone, else the e-mail, ties broken by the CRM preference order.
CONTACTS_SQL = """
CREATE OR REPLACE TEMP TABLE identity_contacts AS
WITH records AS (
    SELECT 'service_tickets' AS source, ticket_id AS source_key, phone_e164, email FROM staging.service_tickets
    UNION ALL
    SELECT 'service_nps', response_id, phone_e164, email FROM staging.service_nps
    UNION ALL
    SELECT 'email_events', email, NULL, email FROM (SELECT DISTINCT email FROM staging.email_events)
),
hits AS (
    SELECT r.source, r.source_key, a.customer_id, a.preference, true AS by_phone, false AS by_email
    FROM records r JOIN identity_crm a ON a.phone_e164 = r.phone_e164
    UNION ALL
    SELECT r.source, r.source_key, a.customer_id, a.preference, false, true
    FROM records r JOIN identity_crm a ON a.email = r.email
),
candidates AS (
    SELECT source, source_key, customer_id, bool_or(by_phone) AS by_phone, bool_or(by_email) AS by_email,
           min(preference) AS preference
    FROM hits GROUP BY source, source_key, customer_id
),
ranked AS (
    SELECT *, CASE WHEN by_phone AND by_email THEN 0 WHEN by_phone THEN 1 ELSE 2 END AS level
    FROM candidates
),
best AS (
    SELECT source, source_key,
           arg_min(customer_id, level || ' ' || preference) AS customer_id,
           min(level) AS level,
           count_if(by_email) AS email_accounts
    FROM ranked GROUP BY source, source_key
),
tied AS (
    SELECT b.source, b.source_key, b.customer_id, b.level, b.email_accounts, count(*) AS accounts
    FROM best b JOIN ranked r ON r.source = b.source AND r.source_key = b.source_key AND r.level = b.level
    GROUP BY ALL
)
SELECT r.source, r.source_key, t.customer_id,
       CASE
           WHEN t.customer_id IS NULL THEN 'unmatched'
           ELSE CASE t.level WHEN 0 THEN 'phone and email' WHEN 1 THEN 'phone' ELSE 'email' END
                || CASE WHEN t.level = 1 AND t.email_accounts > 0 THEN ', email conflict' ELSE '' END
                || CASE WHEN t.accounts > 1 THEN ', shared' ELSE '' END
       END AS match_rule,
       CAST(CASE
           WHEN t.customer_id IS NULL THEN 0.0
           ELSE round((CASE WHEN t.level = 0 THEN 0.99
                            WHEN t.level = 1 AND t.email_accounts > 0 THEN 0.6
                            ELSE 0.95 END) / t.accounts, 3)
       END AS DOUBLE) AS confidence
FROM records r
LEFT JOIN tied t ON t.source = r.source AND t.source_key = r.source_key
"""

IDENTITY_MAP_SQL = """
CREATE OR REPLACE TABLE core.identity_map AS
SELECT 'crm_accounts' AS source, account_id AS source_key, customer_id,
       'crm account' AS match_rule, CAST(1.0 AS DOUBLE) AS confidence
FROM identity_crm
UNION ALL
SELECT 'sales_order_lines', customer_code, customer_id, match_rule, confidence FROM identity_sales
UNION ALL
SELECT source, source_key, customer_id, match_rule, confidence FROM identity_contacts
ORDER BY source, source_key
"""

TEMP_TABLES = ("identity_crm", "identity_sales_codes", "identity_unlisted_names", "identity_company_keys",
               "identity_sales", "identity_contacts")

CUSTOMERS_SQL = """
CREATE OR REPLACE TABLE core.customers AS
WITH crm AS (
    SELECT 'C' || left(md5('crm:' || account_id), 12) AS customer_id, * FROM staging.crm_accounts
),
name_linked AS (
    SELECT customer_id, min(source_key) AS sales_customer_code
    FROM core.identity_map
    WHERE source = 'sales_order_lines' AND match_rule LIKE 'company name%'
    GROUP BY 1
),
own_codes AS (
    SELECT source_key AS customer_code, customer_id
    FROM core.identity_map
    WHERE source = 'sales_order_lines' AND customer_id = 'C' || left(md5('sales:' || source_key), 12)
),
sales_only AS (
    SELECT o.customer_id, l.customer_code,
           mode(l.customer_name ORDER BY l.customer_name) AS customer_name,
           mode(l.region ORDER BY l.region) AS region,
           min(l.order_date) AS first_order_date
    FROM staging.sales_order_lines l
    JOIN own_codes o ON o.customer_code = l.customer_code
    GROUP BY ALL
)
SELECT c.customer_id, c.account_id AS crm_account_id,
       coalesce(c.sales_customer_code, n.sales_customer_code) AS sales_customer_code,
       c.contact_name, c.company, c.industry, c.company_size, c.region, c.owner, c.phone_e164, c.email,
       c.created_date, c.lead_source
FROM crm c
LEFT JOIN name_linked n USING (customer_id)
UNION ALL
SELECT customer_id, NULL, customer_code, NULL, customer_name, NULL, NULL, region, NULL, NULL, NULL,
       first_order_date, NULL
FROM sales_only
ORDER BY customer_id
"""


def build_identity_map(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.identity_map`` from the staging tables (company-key macros installed here)."""
    install_identity_functions(conn)
    for statement in (CRM_SQL, SALES_CODES_SQL, UNLISTED_NAMES_SQL, KEYS_SQL, SALES_SQL, CONTACTS_SQL,
                      IDENTITY_MAP_SQL):
        conn.execute(statement)
    for table in TEMP_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS {table}")


def build_customers(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.customers`` from the CRM accounts and ``core.identity_map``."""
    conn.execute(CUSTOMERS_SQL)
