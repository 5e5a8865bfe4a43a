"""Amounts that are never silently wrong: decimal commas and thousands separators read by the
evidence of their column in each file, ambiguous or contradicting values quarantined, and order-line
amounts beyond a plausibility bound derived from the amounts quarantined instead of becoming revenue."""

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from assets.staging.plausibility import derive_amount_bound
from assets.staging.settings import DEFAULT_FLOOR, NumberSettings, PlausibilitySettings
from assets.staging.specs import SPECS
from checks.staging.suites import suite_parameters
from tests.conftest import materialize_layers, paths_under, query
from tests.inbox_builders import write_csv

HEADER = ["Order ID", "Customer Code", "Order Date", "Quantity", "Unit Price", "Discount", "Amount"]


# --- the plausibility bound as a plain function ----------------------------------------------------


def _bound(amounts, settings=None):
    conn = duckdb.connect()
    texts = pa.table({"amount": pa.array([str(a) for a in amounts], type=pa.string())})  # noqa: F841 (read by SQL)
    conn.execute("CREATE TABLE amounts AS SELECT CAST(amount AS DECIMAL(38, 6)) AS amount FROM texts")
    return derive_amount_bound(conn, "amounts", settings or PlausibilitySettings())


def test_two_1e12_typos_among_normal_orders_are_beyond_the_bound():
    rng = np.random.default_rng(11)
    orders = np.round(rng.uniform(100, 100_000, 5000), 2)
    bound = _bound([*orders, Decimal("1e12"), Decimal("1e12")])
    assert bound.decided_by == "quantile"
    assert orders.max() < bound.value < Decimal("1e12")
    assert float(bound.value) == pytest.approx(1000 * np.quantile(orders, 0.99), rel=0.01)  # typos do not move it
    assert "max_order_line_amount" in bound.rule and f"{bound.positive_amounts:,} positive amounts" in bound.rule


def test_a_legitimate_big_b2b_order_in_a_long_tail_is_within_the_bound():
    rng = np.random.default_rng(3)
    orders = np.round(rng.lognormal(np.log(2000), 1.5, 200_000), 2)  # heavy tail: the largest is ~1000x the median
    bound = _bound(orders)
    assert orders.max() < bound.value
    small_shop = [*np.round(rng.uniform(100, 5000, 500), 2), 2_000_000]  # one ¥2M contract among small orders
    assert _bound(small_shop).value > 2_000_000


@pytest.mark.parametrize("amounts", [[], [0, 0, 0], [-50, 0], [100, 200, Decimal("1e12")], [Decimal("1e12")]])
def test_tiny_or_empty_data_falls_back_to_the_floor(amounts):
    bound = _bound(amounts)
    assert (bound.value, bound.decided_by) == (DEFAULT_FLOOR, "floor")
    assert "plausible_amount_floor" in bound.rule


def test_rule_texts_can_be_written_into_sql_literals():
    # the staging build writes each rule's text into the quarantine as a SQL string literal
    bounds = [_bound([]), _bound([100, 200, 300, 400]), _bound([100], PlausibilitySettings(Decimal(5)))]
    rules = [r.rule for spec in SPECS.values() for r in spec.rules] + [b.rule for b in bounds]
    assert not [r for r in rules if "'" in r]


def test_a_number_in_the_settings_is_the_bound():
    settings = PlausibilitySettings.from_thresholds({"quality": {"max_order_line_amount": 5000}})
    bound = _bound([100, 200, 300], settings)
    assert (bound.value, bound.decided_by) == (Decimal(5000), "setting")
    assert "¥5,000" in bound.rule


@pytest.mark.parametrize(
    "quality, message",
    [({"max_order_line_amount": "big"}, "max_order_line_amount must be a number"),
     ({"max_order_line_amount": -1}, "max_order_line_amount must be more than 0"),
     ({"plausible_amount_quantile": 1.5}, "plausible_amount_quantile must be in"),
     ({"plausible_amount_multiple": 0}, "plausible_amount_multiple must be more than 0")],
)
def test_invalid_plausibility_settings_are_refused_by_name(quality, message):
    with pytest.raises(ValueError, match=message):
        PlausibilitySettings.from_thresholds({"quality": quality})


def test_invalid_decimal_separator_setting_is_refused():
    assert NumberSettings.from_thresholds({"staging": {"decimal_separator": ","}}).decimal_separator == ","
    with pytest.raises(ValueError, match=r"\[staging\] decimal_separator must be one of"):
        NumberSettings.from_thresholds({"staging": {"decimal_separator": ";"}})


def test_the_advisory_check_uses_the_bound_the_build_derived_unless_the_settings_fix_one():
    assert suite_parameters(date(2025, 3, 1), {}, Decimal(4321))["max_order_line_amount"] == 4321
    assert suite_parameters(date(2025, 3, 1), {}, Decimal(4321))["min_order_line_amount"] == -4321
    fixed = {"quality": {"max_order_line_amount": 90}}
    assert suite_parameters(date(2025, 3, 1), fixed, Decimal(4321))["max_order_line_amount"] == 90


# --- the staging assets on small exports -------------------------------------------------------------

TYPO_ROWS = [[f"T{i}", f"K{i % 40}", "2025-02-01", "1", "", "", f"{100 + (i * 7919) % 99_900}.50"] for i in range(300)]
TYPO_ROWS[57][6] = "1000000000000"
TYPO_ROWS[211][6] = "1E12"


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("amounts")

    paths = paths_under(root)
    sales = Path(paths.inbox_dir) / "sales"
    write_csv(sales / "eu.csv", HEADER, [  # decimal commas, dots grouping thousands
        ["E1", "C1", "2025-01-05", "2", "617,25", "0", "1.234,50"],
        ["E2", "C1", "2025-01-06", "1", "12,5", "0", "12,5"],
        ["E3", "C2", "2025-01-07", "1.000", "1,5", "0", "1.500,00"],  # 1.000 pieces: a thousand, by the file
        ["E4", "C2", "2025-01-08", "1", "0", "0", "0"],  # a free sample
    ])
    write_csv(sales / "cn.csv", HEADER, [  # thousands commas, decimal points
        ["N1", "C3", "2025-01-05", "1", "1,234.50", "0", "¥1,234.50"],
        ["N2", "C3", "2025-01-06", "1", "1,234", "0", "1,234"],
        ["N3", "C4", "2025-01-07", "2", "6,250", "0", "12,500"],
        ["N4", "C4", "2025-01-08", "1", "12.50", "0", "(12.50)"],  # a refund line
    ])
    write_csv(sales / "only ambiguous.csv", HEADER, [
        ["A1", "C5", "2025-01-05", "1", "", "", "1,234"], ["A2", "C5", "2025-01-06", "1", "", "", "12,500"],
    ])
    write_csv(sales / "mixed.csv", HEADER, [  # evidence split evenly: the column cannot be decided
        ["M1", "C6", "2025-01-05", "1", "", "", "12,5"],
        ["M2", "C6", "2025-01-06", "1", "", "", "1,234.50"],
        ["M3", "C6", "2025-13-45", "1", "", "", "1,234"],  # two problems: one quarantined row, two reasons
    ])
    write_csv(sales / "typo.csv", HEADER, TYPO_ROWS)
    result = materialize_layers(paths, "raw", "staging")
    assert result.success
    return paths, result


def _amounts(paths, prefix: str) -> dict:
    return dict(query(paths, f"SELECT order_id, amount FROM staging.sales_order_lines WHERE order_id LIKE '{prefix}%'"))


def test_a_decimal_comma_export_is_read_with_commas(staged):
    paths, _ = staged
    assert _amounts(paths, "E") == {"E1": Decimal("1234.50"), "E2": Decimal("12.50"), "E3": Decimal("1500.00"),
                                    "E4": Decimal("0.00")}
    lines = query(paths, "SELECT order_id, quantity, unit_price, amount_mismatch FROM staging.sales_order_lines "
                         "WHERE order_id LIKE 'E%' ORDER BY 1")
    assert lines == [("E1", 2.0, Decimal("617.25"), False), ("E2", 1.0, Decimal("12.50"), False),
                     ("E3", 1000.0, Decimal("1.50"), False), ("E4", 1.0, Decimal("0.00"), False)]
    formats = {c: (mark, by) for c, mark, by in query(
        paths, "SELECT column_name, decimal_separator, decided_by FROM quality.number_formats "
               "WHERE source_file = 'sales/eu.csv'")}
    assert formats["amount"] == (",", "column evidence")
    assert formats["quantity"] == (",", "file evidence")


def test_a_thousands_comma_export_is_read_with_points(staged):
    paths, _ = staged
    assert _amounts(paths, "N") == {"N1": Decimal("1234.50"), "N2": Decimal("1234.00"), "N3": Decimal("12500.00"),
                                    "N4": Decimal("-12.50")}


def test_a_column_without_evidence_follows_the_default_visibly(staged):
    paths, result = staged
    assert _amounts(paths, "A") == {"A1": Decimal("1234.00"), "A2": Decimal("12500.00")}
    decision = query(paths, "SELECT decimal_separator, decided_by, ambiguous_values FROM quality.number_formats "
                            "WHERE source_file = 'sales/only ambiguous.csv' AND column_name = 'amount'")
    assert decision == [(".", "default", 2)]
    metadata = next(e.materialization.metadata for e in result.get_asset_materialization_events()
                    if e.asset_key.path == ["staging", "sales_order_lines"])
    assert "| sales/only ambiguous.csv | amount | . | default |" in metadata["decimal_separators"].value
    assert "| sales/eu.csv | amount | , | column evidence |" in metadata["decimal_separators"].value


def _quarantine(paths, file: str) -> list[tuple]:
    return query(paths, "SELECT row_number, column_name, rule, raw_value FROM quality.quarantine "
                        f"WHERE source_file = '{file}' ORDER BY row_number, column_name, rule")


def test_undecidable_and_contradicting_values_are_quarantined_never_changed(staged):
    paths, _ = staged
    assert _amounts(paths, "M") == {}
    rows = [(row, column, rule.split(":")[0], raw) for row, column, rule, raw in _quarantine(paths, "sales/mixed.csv")]
    assert rows == [(2, "amount", "number format contradicts the column", "12,5"),
                    (3, "amount", "number format contradicts the column", "1,234.50"),
                    (4, "amount", "ambiguous number", "1,234"),
                    (4, "order_date", "unparseable date", "2025-13-45")]
    ambiguous = _quarantine(paths, "sales/mixed.csv")[2][2]
    assert "set [staging] decimal_separator" in ambiguous


def test_1e12_typos_are_quarantined_as_implausible_not_counted_as_revenue(staged):
    paths, _ = staged
    [(bound, decided_by, rule)] = query(paths, "SELECT bound, decided_by, rule FROM quality.amount_bounds "
                                               "WHERE kind = 'sales_order_lines' AND column_name = 'amount'")
    assert decided_by == "quantile" and Decimal(100_000) < bound < Decimal("1e12")
    assert _quarantine(paths, "sales/typo.csv") == [(59, "amount", rule, "1000000000000"),
                                                    (213, "amount", rule, "1E12")]
    assert f"more than ¥{bound.normalize():,f}" in rule and "set [quality] max_order_line_amount" in rule
    revenue = sum(Decimal(row[6]) for i, row in enumerate(TYPO_ROWS) if i not in (57, 211))
    staged_typo = query(paths, "SELECT count(*), sum(amount) FROM staging.sales_order_lines WHERE order_id LIKE 'T%'")
    assert staged_typo == [(298, revenue)]


def test_rows_still_reconcile_and_a_row_with_two_problems_counts_once(staged):
    paths, _ = staged
    [(read, staged_rows, quarantined, collapsed)] = query(
        paths, "SELECT rows_read, rows_staged, rows_quarantined, duplicates_collapsed FROM quality.reconciliation "
               "WHERE kind = 'sales_order_lines'")
    assert (read, quarantined, collapsed) == (4 + 4 + 2 + 3 + 300, 3 + 2, 0)
    assert read == staged_rows + quarantined + collapsed


def test_the_decimal_separator_setting_decides_ambiguous_columns(paths, tmp_path):
    write_csv(Path(paths.inbox_dir) / "sales" / "de.csv", HEADER, [
        ["D1", "C1", "2025-01-05", "1", "", "", "1.234"], ["D2", "C1", "2025-01-06", "1", "", "", "12.500"],
    ])
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text('[staging]\ndecimal_separator = ","\n', encoding="utf-8")
    assert materialize_layers(dataclasses.replace(paths, settings_file=str(settings_file)), "raw", "staging").success
    assert _amounts(paths, "D") == {"D1": Decimal("1234.00"), "D2": Decimal("12500.00")}
    assert query(paths, "SELECT decided_by FROM quality.number_formats WHERE column_name = 'amount'") == [("setting",)]
