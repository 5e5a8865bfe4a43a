from pathlib import Path

import pytest

from assets.ingest.export_kinds import ExportFormatError, detect_kind, load_export_kinds, normalise_header


def test_normalise_header_ignores_case_bom_and_separators():
    assert normalise_header("\ufeff Order_ID ") == normalise_header("order-id") == "order id"


def test_chinese_and_english_headers_map_to_the_same_columns():
    kind = load_export_kinds()["sales_order_lines"]
    mapping, unmapped = kind.map_headers(["客户编码", "下单时间", "实付金额", "备注"], "f.csv")
    assert mapping == {"客户编码": "customer_code", "下单时间": "order_date", "实付金额": "amount"}
    assert unmapped == ["备注"]


def test_detect_kind_prefers_the_kind_with_most_required_columns():
    kinds = load_export_kinds()
    crm = [k for k in kinds.values() if k.source == "crm"]
    # An interactions export also carries the accounts' only required column (account id).
    assert detect_kind(["客户ID", "跟进方式", "跟进时间", "负责人"], crm, "f.csv").name == "crm_interactions"
    assert detect_kind(["客户ID", "公司名称", "手机"], crm, "f.csv").name == "crm_accounts"


def test_missing_required_column_names_the_file_and_the_column():
    sales = [load_export_kinds()["sales_order_lines"]]
    with pytest.raises(ExportFormatError, match=r"orders\.csv, row 1.*amount"):
        detect_kind(["Customer ID", "Order Date"], sales, "sales/orders.csv")


def test_two_headers_for_one_column_is_an_error():
    kind = load_export_kinds()["sales_order_lines"]
    with pytest.raises(ExportFormatError, match="both mean 'amount'"):
        kind.map_headers(["金额", "实付金额"], "x.csv")


def test_user_alias_file_extends_the_shipped_aliases(tmp_path: Path):
    extra = tmp_path / "aliases.toml"
    extra.write_text('[kinds.sales_order_lines.columns]\namount = ["Umsatz"]\n', encoding="utf-8")
    kind = load_export_kinds(extra)["sales_order_lines"]
    assert kind.map_headers(["Umsatz", "金额"][:1], "f")[0] == {"Umsatz": "amount"}
    assert load_export_kinds()["sales_order_lines"].aliases.get("umsatz") is None


def test_user_alias_file_with_unknown_column_is_rejected(tmp_path: Path):
    extra = tmp_path / "aliases.toml"
    extra.write_text('[kinds.sales_order_lines.columns]\nnot_a_column = ["x"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="not_a_column"):
        load_export_kinds(extra)
