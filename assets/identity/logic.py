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
per-row work outside the database: the steps are in ``sql/identity_map.sql``, the company-key
macros in ``sql/identity_functions.sql``.
"""

from __future__ import annotations

import duckdb

from assets.common.sql import SqlFolder

SQL = SqlFolder(__file__)
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
    """A regular-expression alternation of the words, longest first (so the longest one matches)."""
    return "|".join(sorted(set(words), key=lambda w: (-len(w), w)))


def install_identity_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the company-key macros on this connection (TEMP: the warehouse file keeps no code);
    the word lists above are bound to them as parameters."""
    SQL.run(conn, "identity_functions", full_width=_FULL_WIDTH, half_width=_HALF_WIDTH,
            legal_forms=_alternation(LEGAL_SUFFIXES), places=_alternation(PLACE_NAMES))


def build_identity_map(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.identity_map`` from the staging tables (company-key macros installed here)."""
    install_identity_functions(conn)
    SQL.run(conn, "identity_map", min_key_chars=MIN_COMPANY_KEY_CHARS)


def build_customers(conn: duckdb.DuckDBPyConnection) -> None:
    """Rebuild ``core.customers`` from the CRM accounts and ``core.identity_map``."""
    SQL.run(conn, "customers")
