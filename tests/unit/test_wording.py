"""Report wording lives in one wording.toml per report, both languages with the same keys and
placeholders; the KPI catalog is one data file too."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.analytics.kpis import logic as kpis
from reports.common.wording import LANGUAGES, WordingError, wording

ROOT = Path(__file__).resolve().parents[2]


def _write(folder: Path, text: str) -> str:
    (folder / "wording.toml").write_text(text, encoding="utf-8")
    return str(folder / "asset.py")


@pytest.mark.parametrize("path", sorted((ROOT / "reports").rglob("wording.toml")), ids=lambda p: p.parent.name)
def test_every_shipped_wording_file_has_both_languages_alike(path: Path) -> None:
    tables = wording(str(path))
    assert tables
    for table in tables.values():
        assert sorted(table) == sorted(LANGUAGES)


def test_wording_is_read_from_the_folder_of_the_module(tmp_path: Path) -> None:
    module = _write(tmp_path, '[labels.zh]\nhello = "你好 {name}"\n\n[labels.en]\nhello = "Hello {name}"\n'
                              '\n[order]\nzh = ["一", "二"]\nen = ["1", "2"]\n')
    assert wording(module) == {"labels": {"zh": {"hello": "你好 {name}"}, "en": {"hello": "Hello {name}"}},
                               "order": {"zh": ["一", "二"], "en": ["1", "2"]}}


@pytest.mark.parametrize(("text", "message"), [
    ('[labels.zh]\na = "甲"\nb = "乙"\n\n[labels.en]\na = "A"\n', "keys not in both zh and en: b"),
    ('[labels.zh]\na = "{n} 位"\n\n[labels.en]\na = "{count} people"\n', "zh uses ['n'], en uses ['count']"),
    ('[labels.zh]\na = "甲"\n', "needs exactly the languages zh, en"),
    ('[order]\nzh = ["一", "二"]\nen = ["1"]\n', "en must list as many texts as zh (2)"),
    ('[labels.zh]\na = 1\n\n[labels.en]\na = 2\n', "every text must be a string"),
])
def test_a_mismatched_wording_file_is_refused_naming_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(WordingError, match=r"wording\.toml \[") as error:
        wording(_write(tmp_path, text))
    assert message in str(error.value)


def test_kpi_catalog_keeps_table_order_and_fills_the_shared_mailing_text() -> None:
    names = [kpi.name for kpi in kpis.KPIS]
    assert names[:2] == ["customers", "new_customers"] and len(names) == len(set(names))
    rows = {row[1]: row for row in kpis.kpi_definition_rows(churn_days=90)}
    assert rows["email_open_rate"][6].startswith("A mailing is one (e-mail address, campaign) pair")
    assert "{" not in "".join(row[6] for row in rows.values())
    assert "91 days" in rows["customers"][6]


def test_kpi_catalog_refuses_unknown_keys_and_units(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.toml"
    entry = 'name = "x"\nsource = "sales"\nlabel_en = "X"\nlabel_zh = "X"\ndefinition = "x"\n'
    catalog.write_text(f'mailing = ""\n[[kpi]]\n{entry}unit = "count"\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"KPI 1 \(x\) has unknown keys: colour"):
        kpis._read_catalog(catalog)
    catalog.write_text(f'mailing = ""\n[[kpi]]\n{entry}unit = "furlongs"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unit 'furlongs'"):
        kpis._read_catalog(catalog)
