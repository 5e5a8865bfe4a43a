"""quality.scorecard materialised with dagster.materialize on small hand-made inboxes, checked by hand."""

import dataclasses
import shutil
from pathlib import Path

import pytest
from dagster import AssetKey, AssetSelection

from assets.quality.scorecard.asset import scorecard
from assets.quality.scorecard.logic import DIMENSIONS, KIND_MEASURES, OVERALL, SOURCES
from assets.quality.scorecard.settings import TIMELINESS_ZERO_SCORE_DAYS
from assets.staging.specs import SPECS
from tests.conftest import materialize_all, query
from tests.inbox_builders import four_source_inbox, minimal_sales_inbox, write_csv

SCORECARD = AssetKey(["quality", "scorecard"])
UP_TO_SCORECARD = AssetSelection.assets(SCORECARD).upstream()
ROW_ORDER = [(s, d) for s in (*SOURCES, OVERALL) for d in (*DIMENSIONS, OVERALL)]


def _build(paths):
    result = materialize_all(paths, selection=UP_TO_SCORECARD)
    assert result.success
    return result


def _scorecard(paths) -> dict[tuple[str, str], tuple]:
    """(source, dimension) -> (score, numerator, denominator, age_days), after checking the invariants
    every scorecard must satisfy."""
    rows = query(paths, "SELECT source, dimension, score, numerator, denominator, age_days, definition "
                        "FROM quality.scorecard")
    assert [(r[0], r[1]) for r in rows] == ROW_ORDER  # every row, in a fixed order
    for source, dimension, score, numerator, denominator, _, definition in rows:
        assert definition and len(definition) > 60, (source, dimension)
        if denominator == 0:
            assert score is None, (source, dimension)
        else:
            assert 0.0 <= score <= 1.0, (source, dimension, score)
            assert score == pytest.approx(numerator / denominator)
    return {(r[0], r[1]): r[2:6] for r in rows}


def _expect(card, source: str, dimension: str, numerator: float, denominator: int, age_days=None):
    score, num, den, age = card[(source, dimension)]
    assert (num, den) == (pytest.approx(numerator), denominator), (source, dimension, num, den)
    assert score == (None if denominator == 0 else pytest.approx(numerator / denominator))
    assert age == age_days, (source, dimension)


def _mean(*scores: float) -> float:
    return sum(scores) / len(scores)


def test_four_source_inbox_by_hand(paths):
    four_source_inbox(Path(paths.inbox_dir))
    result = _build(paths)
    card = _scorecard(paths)
    # as-of = newest staged order date 2025-03-01 (O4 of 2025-03-02 has no customer code: quarantined)

    # (source, dimension, numerator, denominator, age in days)
    for expected in (
        # sales: 5 raw lines, O4 quarantined, 4 staged with customer_name/sku/category/channel/region all
        # filled; C001 and C002 are linked to FX-1 / FX-2 with the same region and company (2 pairs each)
        ("sales", "completeness", 4 * 5, 4 * 5, None),
        ("sales", "validity", 4, 5, None),
        ("sales", "uniqueness", 4, 4, None),
        ("sales", "consistency", 4, 4, None),
        ("sales", "timeliness", 29, 29, 0),
        # crm: 3 accounts x 9 columns, only FX-3's phone empty; both ERP codes C001, C002 are sold to;
        # newest account created 2025-01-10, 50 days before the as-of date
        ("crm", "completeness", 26, 27, None),
        ("crm", "validity", 3, 3, None),
        ("crm", "uniqueness", 3, 3, None),
        ("crm", "consistency", 2, 2, None),
        ("crm", "timeliness", 0, 29, 50),
        # service: T2 has CSAT 7 (quarantined); T1 (phone, channel, category, priority, status all filled)
        # has FX-1's phone and no e-mail: agrees; opened 2025-02-01, 28 days before the as-of date
        ("service", "completeness", 5, 5, None),
        ("service", "validity", 1, 2, None),
        ("service", "uniqueness", 1, 1, None),
        ("service", "consistency", 1, 1, None),
        ("service", "timeliness", 2, 29, 28),
        # email: 1 campaign (name, subject, sent_at) + 3 events (campaign id), all filled and distinct;
        # zhang.wei@ is FX-1's address, stranger@ is in no CRM account; newest 2025-02-01
        ("email", "completeness", 6, 6, None),
        ("email", "validity", 4, 4, None),
        ("email", "uniqueness", 4, 4, None),
        ("email", "consistency", 1, 2, None),
        ("email", "timeliness", 2, 29, 28),
    ):
        _expect(card, *expected)

    per_source = {
        "sales": [1, 4 / 5, 1, 1, 1],
        "crm": [26 / 27, 1, 1, 1, 0],
        "service": [1, 1 / 2, 1, 1, 2 / 29],
        "email": [1, 1, 1, 1 / 2, 2 / 29],
    }
    for source, scores in per_source.items():
        _expect(card, source, OVERALL, sum(scores), 5)
    for i, dimension in enumerate(DIMENSIONS):  # overall source: simple mean over the four sources
        _expect(card, OVERALL, dimension, sum(s[i] for s in per_source.values()), 4)
    overall = _mean(*(_mean(*s) for s in per_source.values()))
    assert card[(OVERALL, OVERALL)][0] == pytest.approx(overall)

    metadata = result.asset_materializations_for_node("quality__scorecard")[0].metadata
    assert metadata["overall_score"].value == pytest.approx(overall)
    assert metadata["dagster/row_count"].value == len(ROW_ORDER)


def test_disagreements_and_duplicate_deliveries_by_hand(paths):
    inbox = Path(paths.inbox_dir)
    write_csv(
        inbox / "sales" / "orders.csv",
        ["Customer Code", "Customer Name", "Order Date", "Amount", "Region"],
        [
            ["C1", "杭州瑞达科技", "2025-01-01", "10", "华东"],  # = CRM company once 有限公司 is ignored
            ["C1", "杭州瑞达科技", "2025-01-02", "10", "华北"],
            ["C1", "杭州瑞达科技", "2025-01-03", "10", "华东"],  # most frequent region 华东 = CRM
            ["C2", "瑞达物流（北京）有限公司", "2025-01-04", "10", "华南"],  # name and region differ
            ["C3", "上海青木有限公司", "2025-01-05", "10", ""],  # sales only: nothing to compare
            ["C4", "无名", "待定", "10", "华东"],  # unreadable date: quarantined
        ],
    )
    # the same content again under another name: a duplicate delivery ("orders (1).csv" sorts first
    # and is the one loaded)
    shutil.copy(inbox / "sales" / "orders.csv", inbox / "sales" / "orders (1).csv")
    write_csv(
        inbox / "crm" / "accounts.csv",
        ["Account ID", "ERP Code", "Company Name", "Region", "Mobile", "E-mail"],
        [
            ["FX-1", "C1", "杭州瑞达科技有限公司", "华东", "13800138000", "zw@example.com"],
            ["FX-2", "C2", "北京瑞达物流有限公司", "华北", "", ""],
            ["FX-3", "C9", "无锡某某有限公司", "华东", "", ""],  # ERP code never sold to
        ],
    )
    write_csv(
        inbox / "service" / "tickets.csv",
        ["Ticket ID", "Contact Phone", "Contact Email", "Created Time"],
        [
            ["T1", "138 0013 8000", "", "2025-01-05 09:00"],  # FX-1's phone: agrees
            ["T2", "", "unknown@example.com", "2025-01-05 09:00"],  # no CRM account has it
            ["T3", "13800138000", "other@example.com", "2025-01-05 09:00"],  # FX-1, other e-mail
            ["T4", "13800138000", "ZW@example.com", "2025-01-05 09:00"],  # FX-1 on both: agrees
            ["T5", "", "", "2025-01-05 09:00"],  # no contact: not comparable
        ],
    )
    _build(paths)
    card = _scorecard(paths)

    # 6 raw rows (the copy is not loaded), 1 quarantined, 5 staged; the duplicate delivery brings the
    # loaded file's 6 rows minus its 1 quarantined row
    _expect(card, "sales", "validity", 5, 6)
    _expect(card, "sales", "uniqueness", 5, 5 + 5)
    # pairs: C1 region agrees, C1 name agrees, C2 region and name disagree
    _expect(card, "sales", "consistency", 2, 4)
    # staged: customer_name 5, region 4 (C3 empty), sku/category/channel missing from the export
    _expect(card, "sales", "completeness", 5 + 4, 5 * 5)
    _expect(card, "crm", "consistency", 2, 3)
    _expect(card, "service", "consistency", 2, 4)
    # no e-mail exports: nothing to measure, and no fake 1.0 or 0.0
    for dimension in (*DIMENSIONS, OVERALL):
        _expect(card, "email", dimension, 0, 0)


def test_a_sales_only_inbox_leaves_the_other_sources_empty(paths):
    minimal_sales_inbox(Path(paths.inbox_dir))
    _build(paths)
    card = _scorecard(paths)
    for source in ("crm", "service", "email"):
        for dimension in (*DIMENSIONS, OVERALL):
            _expect(card, source, dimension, 0, 0)
    # 4 lines with only customer id, date and amount: none of the 5 completeness columns is there
    _expect(card, "sales", "completeness", 0, 4 * 5)
    _expect(card, "sales", "validity", 4, 4)
    _expect(card, "sales", "uniqueness", 4, 4)
    _expect(card, "sales", "consistency", 0, 0)  # no CRM to compare with
    _expect(card, "sales", "timeliness", 29, 29, age_days=0)
    _expect(card, "sales", OVERALL, 0 + 1 + 1 + 1, 4)
    _expect(card, OVERALL, OVERALL, 3 / 4, 1)  # only sales has scores


def test_timeliness_falls_as_the_as_of_date_moves_later(paths):
    four_source_inbox(Path(paths.inbox_dir))
    _build(paths)
    results = {}
    for as_of in ("2025-01-06", "2025-03-01", "2025-03-15", "2025-04-30"):
        dated = dataclasses.replace(paths, as_of=as_of)
        assert materialize_all(dated, selection=[SCORECARD]).success  # only the scorecard, re-dated
        card = _scorecard(dated)
        results[as_of] = {s: card[(s, "timeliness")] for s in SOURCES}
        assert query(dated, "SELECT DISTINCT CAST(as_of AS VARCHAR) FROM quality.scorecard") == [(as_of,)]
    # newest sales line on or before each date: 2025-01-05 (later lines ignored), then 2025-03-01,
    # 1, 0, 14 and 60 days old
    sales = [results[d]["sales"] for d in sorted(results)]
    assert [(score, age) for score, _, _, age in sales] == [
        (1.0, 1), (1.0, 0), (pytest.approx((TIMELINESS_ZERO_SCORE_DAYS - 14) / 29), 14), (0.0, 60)
    ]
    # no ticket opened by 2025-01-06 (the first is 2025-02-01): nothing to measure yet
    assert results["2025-01-06"]["service"] == (None, 0, 0, None)
    later = sorted(results)[1:]
    for source in SOURCES:
        scores = [results[d][source][0] for d in later]
        assert scores == sorted(scores, reverse=True), source
    assert results["2025-03-15"]["service"][0] < results["2025-03-01"]["service"][0]


def test_every_staging_table_is_scored_and_described():
    assert {m.kind for m in KIND_MEASURES} == set(SPECS)
    description = scorecard.specs_by_key[SCORECARD].description
    for measures in KIND_MEASURES:
        for label, _ in measures.columns:
            assert label in description, label
    assert scorecard.specs_by_key[SCORECARD].group_name == "quality"
