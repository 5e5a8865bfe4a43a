"""Dates such as 12/1/2010 (Excel or English-language exports) are read in the day/month order their
own file shows; a file that shows none is decided by ``[staging] date_order`` or quarantined naming it."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from tests.conftest import materialize_layers, query
from tests.inbox_builders import write_csv

HEADER = ["customer_id", "order_date", "quantity", "amount"]


def _inbox(inbox: Path) -> None:
    sales = inbox / "sales"
    # month first: 12/25 shows it (and 1/2 is then 2 January)
    write_csv(sales / "us.csv", HEADER, [["C1", "12/25/2024 8:26", "1", "10.00"], ["C2", "1/2/2025", "1", "20.00"]])
    # day first, with dots: 25.12 shows it (and 01.02 is then 1 February)
    write_csv(sales / "de.csv", HEADER, [["C3", "25.12.2024", "1", "30.00"], ["C4", "01.02.2025", "1", "40.00"]])
    # nothing above 12: undecided
    write_csv(sales / "early.csv", HEADER, [["C5", "3/4/2025", "1", "50.00"], ["C6", "2025-03-05", "1", "60.00"]])
    # both orders in one file: undecided as well
    write_csv(sales / "mixed.csv", HEADER, [["C7", "13/1/2025", "1", "70.00"], ["C8", "1/13/2025", "1", "80.00"]])


def _dates(paths) -> dict[str, date]:
    return dict(query(paths, "SELECT customer_code, order_date FROM staging.sales_order_lines"))


def test_each_file_is_read_in_the_order_its_dates_show(paths):
    _inbox(Path(paths.inbox_dir))
    assert materialize_layers(paths, "raw", "staging").success
    assert _dates(paths) == {"C1": date(2024, 12, 25), "C2": date(2025, 1, 2), "C3": date(2024, 12, 25),
                             "C4": date(2025, 2, 1), "C6": date(2025, 3, 5)}
    quarantined = query(paths, "SELECT source_file, row_number, column_name, rule FROM quality.quarantine "
                               "WHERE stage = 'staging' ORDER BY 1, 2")
    assert [q[:3] for q in quarantined] == [("sales/early.csv", 2, "order_date"), ("sales/mixed.csv", 2, "order_date"),
                                            ("sales/mixed.csv", 3, "order_date")]
    assert all('set [staging] date_order = "dmy" or "mdy"' in q[3] for q in quarantined)
    # rows in = staged + quarantined, file by file
    assert query(paths, "SELECT sum(rows_read), sum(rows_staged), sum(rows_quarantined) "
                        "FROM quality.reconciliation_by_file") == [(8, 5, 3)]


def test_the_setting_decides_only_the_files_that_show_no_order(paths, tmp_path):
    _inbox(Path(paths.inbox_dir))
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[staging]\ndate_order = "dmy"\n', encoding="utf-8")
    assert materialize_layers(dataclasses.replace(paths, settings_file=str(settings_file)), "raw", "staging").success
    dates = _dates(paths)
    assert dates["C5"] == date(2025, 4, 3)  # 3/4 read day first, as set
    assert dates["C1"] == date(2024, 12, 25)  # the US file still follows its own evidence
    assert "C7" not in dates and "C8" not in dates  # conflicting evidence is never overruled
