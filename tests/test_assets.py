"""Every asset materialised with dagster.materialize on small hand-made inboxes."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from dagster import AssetKey, Definitions

from pipelines.definitions import ALL_ASSETS, build_definitions
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox, minimal_sales_inbox


def test_definitions_load_and_validate(paths):
    defs = build_definitions(paths)
    Definitions.validate_loadable(defs)
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    layers = {key.path[0] for key in keys}
    assert layers == {"raw", "staging", "core", "analytics", "quality", "reports", "operations"}
    assert defs.resolve_job_def("materialize_everything") is not None


def test_every_asset_has_a_group_kinds_and_a_description():
    for assets_def in ALL_ASSETS:
        for key in assets_def.keys:
            spec = assets_def.specs_by_key[key]
            assert spec.group_name == key.path[0], key
            assert spec.kinds, key
            assert spec.description and len(spec.description) > 80, key


def test_four_sources_flow_to_customer_360(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    materialization = result.asset_materializations_for_node("staging__sales_order_lines")[0]
    assert materialization.metadata["dagster/row_count"].value == 4
    assert materialization.metadata["rows_quarantined"].value == 1

    # the sales line without a customer code is quarantined, named by file, row and column
    assert query(paths, "SELECT source_file, row_number, column_name, rule FROM quality.quarantine "
                        "WHERE kind = 'sales_order_lines'") == [
        ("sales/orders.csv", 6, "customer_code", "required value missing")
    ]
    rows = query(
        paths,
        "SELECT company, orders, revenue, first_order_date, last_order_date, recency_days, as_of "
        "FROM analytics.customer_360 ORDER BY company",
    )
    by_company = {row[0]: row[1:] for row in rows}
    # O2 was refunded: not revenue. as_of defaults to the newest order date.
    assert by_company["北京远景物流有限公司"] == (1, Decimal("60.00"), date(2025, 3, 1), date(2025, 3, 1), 0,
                                                 date(2025, 3, 1))
    assert by_company["杭州瑞达科技有限公司"][:2] == (1, Decimal("130.00"))
    assert by_company["成都青木餐饮有限公司"][:2] == (0, Decimal("0.00"))  # prospect from the GBK CRM file
    links = dict(query(paths, "SELECT source_key, match_rule FROM core.identity_map WHERE source <> 'crm_accounts'"))
    assert links == {"C001": "crm sales code", "C002": "crm sales code", "T1": "phone",
                     "zhang.wei@example.com": "email", "stranger@example.com": "unmatched"}
    index = Path(paths.reports_dir) / "latest" / "index.html"
    assert "customer_360" in index.read_text(encoding="utf-8")


def test_a_minimal_sales_export_is_enough_for_the_whole_pipeline(paths):
    minimal_sales_inbox(Path(paths.inbox_dir))
    result = materialize_all(paths)
    assert result.success
    assert query(paths, "SELECT count(*) FROM raw.crm_accounts") == [(0,)]
    assert query(paths, "SELECT count(*) FROM staging.email_events") == [(0,)]
    rows = query(paths, "SELECT orders, revenue FROM analytics.customer_360 ORDER BY revenue")
    assert rows == [(1, Decimal("80.00")), (1, Decimal("300.00")), (2, Decimal("1350.50"))]
    assert (Path(paths.reports_dir) / "latest" / "index.html").exists()


def test_rematerialising_changes_nothing(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    tables = ["raw.sales_order_lines", "staging.sales_order_lines", "core.orders", "core.customers",
              "analytics.customer_360", "quality.quarantine"]
    before = {t: query(paths, f"SELECT * EXCLUDE (_loaded_at) FROM {t} ORDER BY ALL" if t.startswith("raw")
                       else f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    assert materialize_all(paths).success
    after = {t: query(paths, f"SELECT * EXCLUDE (_loaded_at) FROM {t} ORDER BY ALL" if t.startswith("raw")
                      else f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    assert before == after


def test_configured_as_of_ignores_later_orders(paths):
    four_source_inbox(Path(paths.inbox_dir))
    dated = paths.__class__(**{**paths.__dict__, "as_of": "2025-01-31"})
    assert materialize_all(dated).success
    rows = dict(query(dated, "SELECT company, orders FROM analytics.customer_360"))
    assert rows["北京远景物流有限公司"] == 0  # its only completed order is dated 2025-03-01
    assert (Path(paths.reports_dir) / "2025-01-31" / "index.html").exists()


def test_only_one_layer_can_be_rematerialised(paths):
    four_source_inbox(Path(paths.inbox_dir))
    assert materialize_all(paths).success
    result = materialize_all(paths, selection=[AssetKey(["analytics", "customer_360"])])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        AssetKey(["analytics", "customer_360"])
    ]
