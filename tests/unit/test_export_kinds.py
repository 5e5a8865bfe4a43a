from pathlib import Path

import pytest

from assets.ingest.export_kinds import (
    ExportFormatError,
    column_letter,
    detect_kind,
    find_header,
    header_key,
    load_export_kinds,
    load_source_folders,
    normalise_header,
)


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


def test_header_keys_ignore_width_stars_colons_units_and_spaces():
    kind = load_export_kinds()["sales_order_lines"]
    headers = ["*客户编码", "下单\n时间", "金额（元）", "OrderID", "客户名称："]
    assert [kind.canonical_of(h) for h in headers] == ["customer_code", "order_date", "amount", "order_id",
                                                       "customer_name"]
    assert header_key("客户编号（CRM）") == header_key("客户编号(crm)")


def test_the_header_is_found_below_title_lines():
    kinds = load_export_kinds()
    rows = [["销售订单明细表"], ["导出时间：2025-09-01", "", ""], ["", "", ""], ["客户编码", "下单时间", "金额"],
            ["C1", "x", "1"]]
    match = find_header(rows, [kinds["sales_order_lines"]], "f.csv")
    assert (match.kind.name, match.row) == ("sales_order_lines", 4)


def test_a_file_in_the_wrong_folder_is_named_with_its_folder():
    kinds = load_export_kinds()
    crm = [k for k in kinds.values() if k.source == "crm"]
    others = [k for k in kinds.values() if k.source != "crm"]
    with pytest.raises(ExportFormatError, match=r"crm/x\.csv, row 1: these are the headers of a sales_order_lines "
                                                r"export, which belongs in the sales/ folder"):
        find_header([["客户编码", "下单时间", "金额"]], crm, "crm/x.csv", others)


def test_headers_of_no_kind_name_the_closest_kind_and_the_rows_searched():
    sales = [load_export_kinds()["sales_order_lines"]]
    with pytest.raises(ExportFormatError, match=r"row 2: .*missing required column\(s\) \['amount'\].*first 3 rows"):
        find_header([["报表"], ["客户编码", "下单时间"], ["C1", "x"]], sales, "f.csv")


def test_columns_meaning_the_same_field_are_named_by_letter():
    kind = load_export_kinds()["sales_order_lines"]
    with pytest.raises(ExportFormatError, match=r"row 3: columns B \('金额'\) and D \('实付金额'\) both mean 'amount'"):
        kind.map_columns(["客户编码", "金额", "备注", "实付金额"], "f.csv", row=3)


def test_source_folders_in_any_case_and_in_chinese(tmp_path: Path):
    folders = load_source_folders()
    assert {folders[header_key(name)] for name in ("Sales", "订单", "销售订单", "ERP")} == {"sales"}
    assert folders[header_key("客户管理")] == "crm" and folders[header_key("售后")] == "service"
    assert folders[header_key("E-Mail")] == "email" and header_key("misc") not in folders
    extra = tmp_path / "aliases.toml"
    extra.write_text('[sources.sales]\nfolders = ["Umsatz"]\n', encoding="utf-8")
    assert load_source_folders(extra)[header_key("umsatz")] == "sales"


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
