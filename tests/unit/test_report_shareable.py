"""Texts from files and errors as a shareable report shows them: no machine path, contacts masked."""

import pytest

from reports.common.shareable import known_folders, shareable_text, strip_known_folders


@pytest.mark.parametrize(("text", "shown"), [
    ('IO Error: Could not set lock on file "/srv/crm/data/warehouse.duckdb": Conflicting lock is held in '
     "/usr/bin/python3.12 (PID 12)",
     'IO Error: Could not set lock on file "warehouse.duckdb": Conflicting lock is held in python3.12 (PID 12)'),
    (r"cannot open C:\Users\ann\exports\orders.csv", "cannot open orders.csv"),
    (r"see \\fileserver\share\crm\accounts.xlsx", "see accounts.xlsx"),
    ("file:///home/ann/inbox/sales/a.csv is empty", "a.csv is empty"),
    ("nested (/x/y/z.csv)", "nested (z.csv)"),
    # Not machine paths: relative paths, dates, ratios, URLs, markup.
    ("sales/2024/orders.csv row 3: date 2024/8/22", "sales/2024/orders.csv row 3: date 2024/8/22"),
    ("1/2 of https://example.com/a/b", "1/2 of https://example.com/a/b"),
    ("ERROR/WARN </b> /a", "ERROR/WARN </b> /a"),
    ("for zhang.wei@example.com, 13800138000", "for z***@example.com, 138****8000"),
    (None, ""),
])
def test_paths_are_cut_and_contacts_masked(text, shown):
    assert shareable_text(text) == shown


def test_known_folders_keep_the_path_inside_the_inbox_even_with_spaces():
    inbox, warehouse = "/home/ann/My Exports/inbox", "/home/ann/My Data/warehouse.duckdb"
    with known_folders(inbox, warehouse, "/home/ann/reports"):
        assert shareable_text(f"{inbox}/sales/orders 2024.csv: bad date") == "sales/orders 2024.csv: bad date"
        assert shareable_text(f"lock on {warehouse}") == "lock on warehouse.duckdb"
        assert shareable_text(f"nothing in {inbox}") == "nothing in inbox"
        # Only whole folder names: inbox2 is another folder.
        assert strip_known_folders(f"{inbox}2/x.csv") == f"{inbox}2/x.csv"
    # Outside the block nothing is known: the generic rule applies.
    assert strip_known_folders(f"{inbox}/sales/a.csv") == f"{inbox}/sales/a.csv"


def test_short_folders_are_never_replaced_everywhere():
    with known_folders("/data", "/"):
        assert strip_known_folders("/database and /data") == "/database and /data"
