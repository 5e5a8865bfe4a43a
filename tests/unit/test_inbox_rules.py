"""Which files are read, skipped or refused, how delivery order is read from names, how text is
decoded, and the [ingest] settings."""

from pathlib import Path

import pytest

from assets.ingest.delivery_order import file_sequence
from assets.ingest.export_kinds import ExportFormatError, load_source_folders
from assets.ingest.file_types import FileFormat, ignore_reason, sniff_format
from assets.ingest.inbox import source_of
from assets.ingest.settings import IngestSettings
from assets.ingest.text_decoding import decode_export


@pytest.mark.parametrize("name", [".DS_Store", "sales/Thumbs.db", "crm/desktop.ini", "sales/~$订单.xlsx",
                                  "sales/.~lock.订单.xlsx#", "sales/a.csv.crdownload", "sales/a.csv.part",
                                  "__MACOSX/sales/a.csv", "sales/._a.csv"])
def test_system_lock_and_partial_files_are_skipped_with_a_reason(name: str):
    assert ignore_reason(name)


@pytest.mark.parametrize("name", ["sales/订单.csv", "orders", "sales/2025/a.xlsx", "sales/a.csv.gz"])
def test_exports_are_not_skipped(name: str):
    assert ignore_reason(name) is None


@pytest.mark.parametrize(("name", "data", "says"), [
    ("a.json", b'{"a": 1}', "JSON is not an export format this pipeline reads; export CSV or Excel"),
    ("a", b'[{"a": 1}]', "JSON is not an export format"),
    ("a.pdf", b"%PDF-1.4", "this is a PDF document"),
    ("a.csv", b"\x89PNG\r\n\x1a\n", "this is an image"),
    ("a.xls", b"<html><table>", "really a web page"),
    ("a.xml", b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     "Excel 2003 XML spreadsheet"),
    ("a.xlsx", b"PK\x03\x04broken", "damaged or incomplete"),
])
def test_files_that_are_no_exports_say_what_they_are(tmp_path: Path, name: str, data: bytes, says: str):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ExportFormatError, match=says):
        sniff_format(path, f"sales/{name}")


def test_text_is_recognised_by_content_whatever_the_extension(tmp_path: Path):
    path = tmp_path / "export.dat"
    path.write_text("客户编码,金额\nC1,1\n", encoding="utf-8")
    assert sniff_format(path, "x") is FileFormat.TEXT


@pytest.mark.parametrize(("name", "sequence"), [
    ("订单_2025-08.csv", 0), ("订单_2025-08 更正.csv", 1), ("orders (2).csv", 2), ("orders_v3.xlsx", 3),
    ("订单 第2版.csv", 2), ("orders_2.csv", 2), ("orders_2025_08.csv", 0), ("orders_08.csv", 0),
    ("orders_2024.csv", 0), ("orders-final.csv", 1), ("更正2.csv", 2),
])
def test_the_version_a_file_name_states(name: str, sequence: int):
    assert file_sequence(f"sales/{name}") == sequence


def test_the_source_is_the_first_folder_named_like_one():
    folders = load_source_folders()
    assert source_of("Sales/2025/x.csv", folders) == "sales"
    assert source_of("2025-08/订单/x.csv", folders) == "sales"
    assert source_of("x.csv", folders) is None and source_of("misc/x.csv", folders) is None


def test_decoding_repairs_what_it_can_and_says_so():
    assert decode_export(b"a,b\r1,2\r", "x").data == b"a,b\n1,2\n"
    assert decode_export(b"a,b\n1,2\n" + b"\x00" * 8, "x").notes == ("8 NUL byte(s) removed",)
    gbk = "客户,金额\n杭州,1\n".encode("gbk")
    assert decode_export(b"\xef\xbb\xbf" + gbk, "x").data == "客户,金额\n杭州,1\n".encode()
    assert decode_export("客户\t金额\n".encode("utf-16-le"), "x").encoding == "UTF-16 LE (no byte-order mark)"


def test_bytes_of_no_encoding_name_row_and_column():
    data = "客户,金额\n".encode("gbk") + b"C1,\xff\xfe\n"
    with pytest.raises(ExportFormatError, match=r"^sales/x\.csv, row 2, column B: bytes ff fe 0a are neither"):
        decode_export(data, "sales/x.csv")


def test_ingest_settings():
    assert IngestSettings.from_thresholds({"ingest": {"delimiter": "semicolon", "header_search_rows": 5}}) == (
        IngestSettings(";", 5))
    assert IngestSettings.from_thresholds({"ingest": {"delimiter": "\\t"}}).delimiter == "\t"
    with pytest.raises(ValueError, match="delimiter"):
        IngestSettings.from_thresholds({"ingest": {"delimiter": "colon"}})
    with pytest.raises(ValueError, match="header_search_rows"):
        IngestSettings.from_thresholds({"ingest": {"header_search_rows": 0}})
