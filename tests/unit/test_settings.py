"""A settings file holds only the keys it changes; the shipped settings.toml supplies the rest."""

import pytest

from pipelines.settings import load_thresholds


def test_a_partial_settings_file_overrides_only_its_keys(tmp_path):
    shipped = load_thresholds()
    own = tmp_path / "settings.toml"
    own.write_text('[churn]\nhorizon_days = 300\n\n[[actions.playbook]]\nsegment = "x"\n', encoding="utf-8")
    merged = load_thresholds(own)
    assert merged["churn"]["horizon_days"] == 300
    # the rest of [churn] and every other table keep the shipped values
    assert {k: v for k, v in merged["churn"].items() if k != "horizon_days"} == {
        k: v for k, v in shipped["churn"].items() if k != "horizon_days"}
    assert merged["lifecycle"] == shipped["lifecycle"] and merged["quality"] == shipped["quality"]
    # a list (array of tables) is replaced, not appended to
    assert merged["actions"]["playbook"] == [{"segment": "x"}]
    assert load_thresholds() == shipped  # the shipped settings are not changed by the overlay


def test_a_settings_file_that_is_not_toml_is_named(tmp_path):
    own = tmp_path / "my settings.toml"
    own.write_text("[churn\nhorizon_days = 300\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"settings file my settings\.toml is not valid TOML"):
        load_thresholds(own)
