"""Great Expectations suites and referential-integrity checks, run as Dagster asset checks on small
hand-made inboxes with dagster.materialize."""

import dataclasses
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity, AssetKey, build_asset_check_context, materialize

import assets.staging.asset as staging_assets
from assets.common.masking import mask_text, mask_value
from assets.staging.specs import SPECS
from checks.common.results import masked_samples
from checks.orders import INTEGRITY_CHECKS, order_lines_have_orders, orders_have_known_customers
from checks.staging.gx_checks import STAGING_CHECKS, run_staging_suite
from checks.staging.suites import DEFAULT_MAX_ORDER_LINE_AMOUNT, SUITES, column_set, suite_for, suite_parameters
from pipelines.definitions import ALL_ASSETS, build_resources
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox, minimal_sales_inbox, write_csv

MY_CHECKS = [*STAGING_CHECKS, *INTEGRITY_CHECKS]
REPO = Path(__file__).resolve().parents[1]


def _evaluations(result) -> dict[tuple[str, str], object]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def _suite_evaluations(result) -> list[tuple[str, str, object]]:
    """(kind, check name, evaluation) of both GX suites of every staging table in a successful run."""
    assert result.success
    evaluations = _evaluations(result)
    return [(kind, name, evaluations[(f"staging/{kind}", name)]) for kind in SPECS
            for name in ("gx_blocking", "gx_advisory")]


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _keys(*layers: str) -> list[AssetKey]:
    return [key for a in ALL_ASSETS for key in a.keys if key.path[0] in layers]


def _duplicate_after_build(monkeypatch, kind: str, where: str) -> None:
    """Make the staging build of ``kind`` leave a duplicate of the rows matching ``where`` behind."""
    original = staging_assets.build_staging_table

    def build_with_duplicate(conn, spec):
        result = original(conn, spec)
        if spec.kind == kind:
            conn.execute(f"INSERT INTO staging.{kind} SELECT * FROM staging.{kind} WHERE {where}")
        return result

    monkeypatch.setattr(staging_assets, "build_staging_table", build_with_duplicate)


# --- the suites as data -------------------------------------------------------------------------


def test_every_staging_table_has_a_blocking_and_an_advisory_check_in_business_words():
    assert set(SUITES) == set(SPECS)
    names = {(c.check_key.asset_key.to_user_string(), c.check_key.name): c for c in STAGING_CHECKS}
    for kind in SPECS:
        blocking = names[(f"staging/{kind}", "gx_blocking")]
        advisory = names[(f"staging/{kind}", "gx_advisory")]
        assert next(iter(blocking.check_specs)).blocking
        assert not next(iter(advisory.check_specs)).blocking
        for check in (blocking, advisory):
            assert "A failure means" in next(iter(check.check_specs)).description


def test_suites_name_only_columns_the_staging_table_has():
    for kind, suite in SUITES.items():
        columns = set(column_set(kind))
        for expectation in suite:
            assert set(expectation.columns) <= columns, (kind, expectation)
        blocking = {e.gx_type for e in suite_for(kind, True)}
        assert {"ExpectTableColumnsToMatchSet", "ExpectColumnValuesToNotBeNull"} <= blocking
        assert blocking & {"ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"}


def test_the_code_location_loads_without_importing_great_expectations():
    code = "import sys, pipelines.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+8613800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("0086 138 0013 8000", "138****8000"),
        ("zhang.wei@example.com", "z***@example.com"),
        ("email=zhang.wei@example.com, campaign_id=CMP1", "email=z***@example.com, campaign_id=CMP1"),
        ("SO2024082200017", "SO2024082200017"),  # an order number is no phone number
    ],
)
def test_phone_numbers_and_email_addresses_are_masked(raw, masked):
    assert mask_text(raw) == masked


def test_contact_columns_mask_even_unrecognised_values():
    assert mask_value("010-62345678", "phone_e164") == "010****5678"
    assert mask_value("12", "email") == "***"
    assert masked_samples(["a@b.cn", "a@b.cn", "13900139000"], "contact") == ("a***@b.cn", "139****9000")
    assert masked_samples([{"phone_e164": "+4930123456", "ticket_id": "T1"}], "phone_e164, ticket_id") == (
        "phone_e164=493****3456, ticket_id=T1",
    )


# --- the checks in Dagster runs -----------------------------------------------------------------


def test_sample_inbox_passes_every_blocking_check_and_records_each_expectation(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    for kind, check_name, evaluation in _suite_evaluations(result):
        assert evaluation.passed, (kind, check_name, evaluation.metadata["failed_expectations"].value)
        blocking = check_name == "gx_blocking"
        assert evaluation.severity == (AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN)
        assert evaluation.metadata["expectations_evaluated"].value == len(suite_for(kind, blocking))
        assert evaluation.metadata["expectations_failed"].value == 0
        assert "expect_" in evaluation.metadata["all_expectations"].value
    evaluations = _evaluations(result)
    assert evaluations[("core/orders", "orders_have_known_customers")].passed
    assert evaluations[("core/order_lines", "order_lines_have_orders")].passed

    sales = evaluations[("staging/sales_order_lines", "gx_blocking")]
    assert sales.metadata["rows_validated"].value == 4
    assert sales.metadata["as_of"].value == "2025-03-01"

    counts = dict(query(paths, "SELECT check_name || ' ' || table_name, count(*) FROM quality.validation_results "
                               "WHERE table_name LIKE 'staging.%' OR table_name LIKE 'core.%' GROUP BY ALL"))
    expected = {f"{name} staging.{kind}": len(suite_for(kind, blocking))
                for kind in SPECS for name, blocking in (("gx_blocking", True), ("gx_advisory", False))}
    expected |= {"orders_have_known_customers core.orders": 1, "order_lines_have_orders core.order_lines": 1}
    assert counts == expected
    assert query(paths, "SELECT DISTINCT run_id, as_of FROM quality.validation_results") == [
        (result.run_id, date(2025, 3, 1))
    ]
    assert query(paths, "SELECT count(*) FROM quality.validation_results WHERE NOT success") == [(0,)]
    assert query(
        paths, "SELECT element_count, unexpected_count, severity FROM quality.validation_results "
               "WHERE table_name = 'staging.sales_order_lines' AND expectation = 'expect_compound_columns_to_be_unique'"
    ) == [(4, 0, "ERROR")]


def test_a_blocking_failure_stops_the_core_tables(paths, monkeypatch):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize([*ALL_ASSETS], resources=build_resources(paths), selection=_keys("raw")).success
    # a faulty staging build leaves order O1 line 1 twice: the business key is no longer unique
    _duplicate_after_build(monkeypatch, "sales_order_lines", "order_id = 'O1' AND line_no = 1")

    result = materialize([*ALL_ASSETS, *MY_CHECKS], resources=build_resources(paths),
                         selection=_keys("staging", "core"), raise_on_error=False)

    assert not result.success
    materialized = _materialized(result)
    assert "staging/sales_order_lines" in materialized
    assert not any(key.startswith("core/") for key in materialized)
    evaluation = _evaluations(result)[("staging/sales_order_lines", "gx_blocking")]
    assert not evaluation.passed
    assert evaluation.severity == AssetCheckSeverity.ERROR
    assert evaluation.metadata["expectations_failed"].value == 1
    failure = evaluation.metadata["failures"].value[0]
    assert failure["expectation"] == "expect_compound_columns_to_be_unique"
    assert failure["column"] == "order_id, line_no"
    assert failure["unexpected_count"] == 2
    assert failure["sample_values"] == ["order_id=O1, line_no=1"]
    assert "order_id=O1, line_no=1" in evaluation.metadata["failed_expectations"].value
    assert query(paths, "SELECT success, unexpected_count, sample_values, severity FROM quality.validation_results "
                        "WHERE expectation = 'expect_compound_columns_to_be_unique' "
                        "AND table_name = 'staging.sales_order_lines'") == [
        (False, 2, '["order_id=O1, line_no=1"]', "ERROR")
    ]
    # the other staging tables passed their gate
    assert _evaluations(result)[("staging/crm_accounts", "gx_blocking")].passed


def test_a_missing_required_value_names_the_export_row(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    with duckdb.connect(paths.warehouse_path) as conn:
        conn.execute("UPDATE staging.sales_order_lines SET amount = NULL WHERE order_id = 'O2'")
    resources = build_resources(paths)
    outcomes, _ = run_staging_suite(resources["warehouse"], resources["settings"], "sales_order_lines", True, "run-1")
    failed = [o for o in outcomes if not o.success]
    assert [(o.expectation, o.column, o.unexpected_count) for o in failed] == [
        ("expect_column_values_to_not_be_null", "amount", 1)
    ]
    assert failed[0].samples == ("sales/orders.csv row 4",)


def test_a_lost_column_fails_the_gate_by_name(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    with duckdb.connect(paths.warehouse_path) as conn:
        conn.execute("ALTER TABLE staging.sales_order_lines DROP COLUMN quantity")
        conn.execute("ALTER TABLE staging.sales_order_lines ADD COLUMN note VARCHAR")
    resources = build_resources(paths)
    outcomes, _ = run_staging_suite(resources["warehouse"], resources["settings"], "sales_order_lines", True, "run-1")
    failed = {(o.expectation, o.column): o.samples for o in outcomes if not o.success}
    assert failed == {
        ("expect_table_columns_to_match_set", None): ("missing: quantity", "unexpected: note"),
        ("expect_column_values_to_not_be_null", "quantity"): ("column missing from the table: quantity",),
        ("expect_column_values_to_be_in_type_list", "quantity"): ("column missing from the table: quantity",),
    }


def test_the_amount_ceiling_comes_from_the_settings_file(paths, tmp_path):
    assert suite_parameters(date(2025, 3, 1))["max_order_line_amount"] == DEFAULT_MAX_ORDER_LINE_AMOUNT
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text("[quality]\nmax_order_line_amount = 90\n", encoding="utf-8")
    resources = build_resources(dataclasses.replace(paths, settings_file=str(settings_file)))
    outcomes, _ = run_staging_suite(resources["warehouse"], resources["settings"], "sales_order_lines", False, "r")
    failed = [(o.expectation, o.column, o.unexpected_count, o.samples) for o in outcomes if not o.success]
    assert failed == [("expect_column_values_to_be_between", "amount", 1, ("100",))]


def test_a_warning_does_not_stop_downstream_and_reports_sample_values(paths):
    inbox = Path(paths.inbox_dir)
    four_source_inbox(inbox)
    write_csv(
        inbox / "sales" / "orders_extra.csv",
        ["Order ID", "Line No", "Customer Code", "Order Date", "Quantity", "Amount", "Channel", "Region", "Status"],
        [["O9", "1", "C001", "2025-02-10", "1", "40", "Tmall", "华东", "on hold"]],
    )
    write_csv(
        inbox / "service" / "tickets_fax.csv",
        ["Ticket ID", "Contact Phone", "Contact Email", "Created Time", "First Response Time",
         "Resolved Time", "Channel", "Category", "Priority", "Status", "CSAT Score"],
        [["T9", "13900139000", "", "2025-02-05 09:00", "", "2025-02-04 09:00", "Fax", "Inquiry", "Low",
          "Resolved", "4"]],
    )
    result = materialize_all(paths)

    assert result.success
    assert {"core/orders", "core/customers", "analytics/customer_360"} <= _materialized(result)
    evaluations = _evaluations(result)
    sales = evaluations[("staging/sales_order_lines", "gx_advisory")]
    assert not sales.passed and sales.severity == AssetCheckSeverity.WARN
    assert [(f["expectation"], f["column"], f["unexpected_count"], f["sample_values"])
            for f in sales.metadata["failures"].value] == [
        ("expect_column_values_to_be_in_set", "status", 1, ["on hold"])
    ]
    tickets = evaluations[("staging/service_tickets", "gx_advisory")]
    assert not tickets.passed and tickets.severity == AssetCheckSeverity.WARN
    failures = {f["column"]: f for f in tickets.metadata["failures"].value}
    assert set(failures) == {"channel", "resolved_at, opened_at"}
    assert failures["channel"]["sample_values"] == ["Fax"]
    assert failures["resolved_at, opened_at"]["sample_values"] == [
        "resolved_at=2025-02-04 09:00:00, opened_at=2025-02-05 09:00:00"
    ]
    assert evaluations[("staging/service_tickets", "gx_blocking")].passed
    rows = query(paths, "SELECT column_name, sample_values, severity FROM quality.validation_results "
                        "WHERE NOT success ORDER BY ALL")
    assert ("status", '["on hold"]', "WARN") in rows
    assert ("channel", '["Fax"]', "WARN") in rows


def test_rerunning_a_run_replaces_its_rows_and_new_runs_add_history(paths):
    four_source_inbox(Path(paths.inbox_dir))
    first = materialize_all(paths)
    assert first.success
    total = query(paths, "SELECT count(*) FROM quality.validation_results")[0][0]
    resources = build_resources(paths, held_for_the_run=False)  # invoked directly below, outside a run
    warehouse, settings = resources["warehouse"], resources["settings"]

    # the same run evaluating the check again (a retried step) replaces its own rows
    run_staging_suite(warehouse, settings, "sales_order_lines", True, first.run_id)
    run_staging_suite(warehouse, settings, "sales_order_lines", True, first.run_id)
    assert query(paths, "SELECT count(*) FROM quality.validation_results")[0][0] == total

    # a direct invocation (no Dagster run) still works and records under its own id
    check = next(c for c in STAGING_CHECKS
                 if c.check_key.name == "gx_advisory" and c.check_key.asset_key.path[-1] == "service_tickets")
    outcome = check(build_asset_check_context(resources={"warehouse": warehouse, "settings": settings}))
    assert outcome.passed
    direct = query(paths, "SELECT DISTINCT run_id FROM quality.validation_results WHERE run_id LIKE 'direct-%'")
    assert len(direct) == 1

    second = materialize_all(paths)
    assert second.success
    per_run = dict(query(paths, "SELECT run_id, count(*) FROM quality.validation_results "
                                "WHERE run_id NOT LIKE 'direct-%' GROUP BY run_id"))
    assert per_run == {first.run_id: total, second.run_id: total}


def test_an_empty_source_passes_every_suite(paths):
    minimal_sales_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    for kind, check_name, evaluation in _suite_evaluations(result):
        assert evaluation.passed, (kind, check_name)
    evaluations = _evaluations(result)
    assert evaluations[("staging/email_events", "gx_blocking")].metadata["rows_validated"].value == 0
    assert query(paths, "SELECT count(*), bool_and(success), max(element_count) FROM quality.validation_results "
                        "WHERE table_name = 'staging.service_tickets' AND check_name = 'gx_blocking' "
                        "AND expectation <> 'expect_table_columns_to_match_set'") == [
        (len(suite_for("service_tickets", True)) - 1, True, 0)
    ]


def test_sample_values_never_show_raw_email_addresses(paths, monkeypatch):
    four_source_inbox(Path(paths.inbox_dir))
    _duplicate_after_build(monkeypatch, "email_events", "email = 'zhang.wei@example.com' AND event_type = 'open'")
    result = materialize([*ALL_ASSETS, *MY_CHECKS], resources=build_resources(paths), raise_on_error=False)
    evaluation = _evaluations(result)[("staging/email_events", "gx_blocking")]
    assert not evaluation.passed
    samples = evaluation.metadata["failures"].value[0]["sample_values"]
    assert samples == ["email=z***@example.com, campaign_id=CMP1, event_type=open, event_ts=2025-02-01 12:00:00"]
    stored = query(paths, "SELECT sample_values FROM quality.validation_results WHERE NOT success")
    assert stored and all("zhang.wei" not in text for (text,) in stored)
    assert json.loads(stored[0][0]) == samples
    assert "zhang.wei" not in evaluation.metadata["failed_expectations"].value


def test_the_integrity_check_fails_when_an_order_points_at_a_missing_customer(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    with duckdb.connect(paths.warehouse_path) as conn:
        missing = conn.execute("SELECT customer_id FROM core.orders WHERE order_id = 'O2'").fetchone()[0]
        conn.execute("DELETE FROM core.customers WHERE customer_id = ?", [missing])

    # rebuild orders (not customers) and the customer 360 on top: the blocking check stops the 360
    result = materialize([*ALL_ASSETS, *INTEGRITY_CHECKS], resources=build_resources(paths), raise_on_error=False,
                         selection=[AssetKey(["core", "orders"]), AssetKey(["analytics", "customer_360"])])
    assert not result.success
    assert _materialized(result) == {"core/orders"}
    evaluation = _evaluations(result)[("core/orders", "orders_have_known_customers")]
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    failure = evaluation.metadata["failures"].value[0]
    assert failure["unexpected_count"] == 2  # O2 and O3 belong to the deleted customer
    assert failure["sample_values"] == [f"O2 → {missing}", f"O3 → {missing}"]
    assert query(paths, "SELECT success, element_count, unexpected_count, severity FROM quality.validation_results "
                        "WHERE check_name = 'orders_have_known_customers' AND run_id = "
                        f"'{result.run_id}'") == [(False, 3, 2, "ERROR")]


def test_the_integrity_check_fails_when_an_order_line_has_no_order(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    with duckdb.connect(paths.warehouse_path) as conn:
        conn.execute("DELETE FROM core.orders WHERE order_id = 'O1'")
    resources = build_resources(paths, held_for_the_run=False)  # checks invoked directly, outside a run
    context = build_asset_check_context(resources=resources)
    outcome = order_lines_have_orders(context)
    assert not outcome.passed and outcome.severity == AssetCheckSeverity.ERROR
    assert outcome.metadata["failures"].value[0]["sample_values"] == ["O1#1 → O1", "O1#2 → O1"]
    assert orders_have_known_customers(build_asset_check_context(resources=resources)).passed
