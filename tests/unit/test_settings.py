"""A settings file holds only the keys it changes; the shipped settings.toml supplies the rest and
is the list of settings (unknown keys and values of the wrong kind are rejected). A run reads them,
and resolves its as-of date, once."""

from datetime import date

import duckdb
import pytest

from assets.common.resources import PipelineSettings
from assets.common.settings import load_thresholds


def test_a_partial_settings_file_overrides_only_its_keys(tmp_path):
    shipped = load_thresholds()
    own = tmp_path / "settings.toml"
    own.write_text('[churn]\nhorizon_days = 300\n\n[[actions.playbook]]\naction = "x"\n', encoding="utf-8")
    merged = load_thresholds(own)
    assert merged["churn"]["horizon_days"] == 300
    # the rest of [churn] and every other table keep the shipped values
    assert {k: v for k, v in merged["churn"].items() if k != "horizon_days"} == {
        k: v for k, v in shipped["churn"].items() if k != "horizon_days"}
    assert merged["lifecycle"] == shipped["lifecycle"] and merged["quality"] == shipped["quality"]
    # a list (array of tables) is replaced, not appended to
    assert merged["actions"]["playbook"] == [{"action": "x"}]
    assert load_thresholds() == shipped  # the shipped settings are not changed by the overlay


def test_a_settings_file_that_is_not_toml_is_named(tmp_path):
    own = tmp_path / "my settings.toml"
    own.write_text("[churn\nhorizon_days = 300\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"settings file my settings\.toml is not valid TOML"):
        load_thresholds(own)


@pytest.mark.parametrize(("text", "message"), [
    ("[churn]\nhorizon_dayz = 300\n", r"\[churn\] horizon_dayz is not a setting \(did you mean horizon_days\?\)"),
    ("[chrun]\nhorizon_days = 300\n", r"chrun is not a setting \(did you mean churn\?\)"),
    ("[as_of]\nfallback = \"latest_order_date\"\n", r"as_of is not a setting"),  # read by nothing: removed
    ("[churn]\nrisk_high = \"0.5\"\n", r"churn\.risk_high must be a number like the shipped 0\.6, got a text"),
    ("[rfm]\nbins = 5.5\n", r"rfm\.bins must be a whole number"),
    ("[[actions.playbook]]\nlable_en = \"x\"\n", r"number 1: lable_en is not a setting \(did you mean label_en\?\)"),
    ("[key_accounts.industry_points]\n\"能源\" = \"high\"\n", r"industry_points\.能源 must be a whole number"),
])
def test_unknown_keys_and_wrong_kinds_are_rejected_in_every_section(tmp_path, text, message):
    own = tmp_path / "mine.toml"
    own.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_thresholds(own)


def test_data_keyed_tables_and_derived_defaults_are_accepted(tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text('[key_accounts.industry_points]\n"能源" = 85\n\n[actions]\nevaluation_days = 60\n',
                   encoding="utf-8")
    merged = load_thresholds(own)
    assert merged["key_accounts"]["industry_points"]["能源"] == 85
    shipped_points = load_thresholds()["key_accounts"]["industry_points"]
    assert merged["key_accounts"]["industry_points"]["金融"] == shipped_points["金融"]
    assert merged["actions"]["evaluation_days"] == 60


def test_a_run_reads_its_rules_once_and_each_caller_gets_a_copy(tmp_path):
    own = tmp_path / "mine.toml"
    own.write_text("[churn]\nhorizon_days = 120\n", encoding="utf-8")
    settings = PipelineSettings(inbox_dir="", reports_dir="", settings_file=str(own))
    first = settings.rules()
    own.write_text("[churn]\nhorizon_days = 30\n", encoding="utf-8")  # edited while the run goes on
    first["churn"]["horizon_days"] = 1  # a caller changing its copy
    assert settings.rules()["churn"]["horizon_days"] == 120
    assert PipelineSettings(inbox_dir="", reports_dir="", settings_file=str(own)).rules()["churn"]["horizon_days"] == 30


def test_the_as_of_date_follows_the_staged_sales_of_the_run():
    settings = PipelineSettings(inbox_dir="", reports_dir="")
    conn = duckdb.connect()
    before = settings.run_as_of(conn)  # nothing staged yet: today, not remembered
    conn.execute("CREATE SCHEMA staging")
    conn.execute("CREATE TABLE staging.sales_order_lines AS SELECT DATE '2024-05-01' AS order_date")
    assert before != date(2024, 5, 1) and settings.run_as_of(conn) == date(2024, 5, 1)
    conn.execute("INSERT INTO staging.sales_order_lines VALUES (DATE '2024-05-09')")
    assert settings.run_as_of(conn) == date(2024, 5, 1)  # resolved once for this build of the table
    conn.execute("CREATE OR REPLACE TABLE staging.sales_order_lines AS SELECT DATE '2024-06-01' AS order_date")
    assert settings.run_as_of(conn) == date(2024, 6, 1)  # staged again: resolved again
    configured = PipelineSettings(inbox_dir="", reports_dir="", as_of="2023-12-31")
    assert configured.run_as_of(conn) == date(2023, 12, 31)


def test_every_settings_model_takes_its_defaults_from_the_shipped_file():
    """Each section's defaults are written once, in pipelines/settings.toml: a settings model built
    with no arguments equals the one read from the shipped file."""
    from assets.analytics.actions.settings import ActionSettings
    from assets.analytics.churn.settings import ChurnSettings
    from assets.analytics.clusters.settings import ClusterSettings
    from assets.analytics.clv.settings import ClvSettings
    from assets.analytics.key_accounts.settings import KeyAccountSettings
    from assets.analytics.recommendations.settings import RecommendationSettings
    from assets.analytics.rfm.settings import RfmSettings
    from assets.ingest.settings import IngestSettings
    from assets.staging.settings import NumberSettings, PlausibilitySettings

    shipped = load_thresholds()
    assert ChurnSettings() == ChurnSettings.from_thresholds(shipped)
    assert ClusterSettings() == ClusterSettings.from_thresholds(shipped["clusters"])
    assert ClvSettings() == ClvSettings.from_thresholds(shipped)
    assert KeyAccountSettings() == KeyAccountSettings.from_thresholds(shipped)
    assert RecommendationSettings() == RecommendationSettings.from_thresholds(shipped)
    assert IngestSettings() == IngestSettings.from_thresholds(shipped)
    assert NumberSettings() == NumberSettings.from_thresholds(shipped)
    assert PlausibilitySettings() == PlausibilitySettings.from_thresholds(shipped)
    rfm = RfmSettings.from_thresholds(shipped["rfm"])
    assert {k: v for k, v in vars(RfmSettings()).items() if k != "segments"} == {
        k: v for k, v in vars(rfm).items() if k != "segments"}
    actions = ActionSettings.from_thresholds(shipped)
    assert {k: v for k, v in vars(ActionSettings()).items() if k not in ("playbook", "segment_names")} == {
        k: v for k, v in vars(actions).items() if k not in ("playbook", "segment_names")}
