"""Report pages are published as whole sets (reports/common/publish.py): latest/ and <as_of>/ show
one run's complete set, switched in one step; a run that stops half-way changes nothing a reader sees."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from reports.common.publish import LATEST, RUNS, publish_rebuilt_report, publish_set, run_set_folder, write_pages

JUNE, JULY = date(2026, 6, 30), date(2026, 7, 15)


def _pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def _full_run(reports: Path, run: str, as_of: date, text: str, keep_runs: int = 10) -> Path:
    folder = run_set_folder(reports, run, as_of)
    write_pages(folder, {"management.html": f"management {text}", "index.html": f"index {text}"})
    publish_set(reports, as_of, folder, keep_runs)
    return folder


def test_latest_and_the_dated_folder_switch_together_to_the_complete_set(tmp_path: Path) -> None:
    _full_run(tmp_path, "run-1", JUNE, "june")
    assert _pages(tmp_path / LATEST) == {"index.html": "index june", "management.html": "management june"}
    reader = (tmp_path / LATEST).resolve()  # a reader that opened latest/ before the next run

    _full_run(tmp_path, "run-2", JULY, "july")
    assert _pages(tmp_path / LATEST) == {"index.html": "index july", "management.html": "management july"}
    assert _pages(tmp_path / JULY.isoformat()) == _pages(tmp_path / LATEST)
    assert _pages(tmp_path / JUNE.isoformat()) == {"index.html": "index june", "management.html": "management june"}
    assert _pages(reader) == {"index.html": "index june", "management.html": "management june"}
    assert all(os.path.islink(tmp_path / name) for name in (LATEST, JUNE.isoformat(), JULY.isoformat()))
    assert not os.path.isabs(os.readlink(tmp_path / LATEST))  # relative: the folder can be moved


def test_a_run_stopped_before_its_set_is_complete_leaves_the_last_set_in_place(tmp_path: Path) -> None:
    _full_run(tmp_path, "run-1", JUNE, "june")
    halfway = run_set_folder(tmp_path, "run-2", JULY)  # killed after one page, before the switch
    write_pages(halfway, {"management.html": "management july"})
    assert _pages(tmp_path / LATEST) == {"index.html": "index june", "management.html": "management june"}
    assert not (tmp_path / JULY.isoformat()).exists()


def test_a_run_starts_from_the_set_of_its_date_and_never_changes_the_published_pages(tmp_path: Path) -> None:
    _full_run(tmp_path, "run-1", JUNE, "june")
    rerun = run_set_folder(tmp_path, "run-2", JUNE)  # the same date again: one report rebuilt
    assert _pages(rerun) == _pages(tmp_path / LATEST)
    write_pages(rerun, {"management.html": "management june, corrected"})
    assert _pages(tmp_path / LATEST)["management.html"] == "management june"  # hard link broken, not written through
    publish_set(tmp_path, JUNE, rerun, keep_runs=10)
    assert _pages(tmp_path / LATEST) == {"index.html": "index june", "management.html": "management june, corrected"}
    other_date = run_set_folder(tmp_path, "run-3", JULY)
    assert _pages(other_date) == {}  # another date starts empty: no June page in a July set


def test_old_run_folders_beyond_keep_runs_go_unless_still_linked(tmp_path: Path) -> None:
    for number, day in enumerate((1, 2, 3, 4), start=1):
        folder = _full_run(tmp_path, f"run-{number}", date(2026, 6, day), str(day), keep_runs=2)
        os.utime(folder, ns=(number * 10**9, number * 10**9))  # mtime order = run order
    kept = sorted(p.name for p in (tmp_path / RUNS).iterdir())
    # run-1 .. run-4 each still linked by their own dated folder: nothing may go
    assert kept == ["run-1", "run-2", "run-3", "run-4"]
    _full_run(tmp_path, "run-5", date(2026, 6, 4), "4 again", keep_runs=2)  # now 2026-06-04 instead of run-4
    _full_run(tmp_path, "run-6", date(2026, 6, 3), "3 again", keep_runs=2)  # now 2026-06-03 instead of run-3
    # newest two: run-6, run-5; run-4 and run-3 are older and no longer linked; run-1, run-2 still are
    assert sorted(p.name for p in (tmp_path / RUNS).iterdir()) == ["run-1", "run-2", "run-5", "run-6"]


def test_a_plain_latest_folder_of_an_earlier_version_is_moved_aside_once(tmp_path: Path) -> None:
    (tmp_path / LATEST).mkdir()
    (tmp_path / LATEST / "management.html").write_text("old layout", encoding="utf-8")
    _full_run(tmp_path, "run-1", JUNE, "june")
    assert os.path.islink(tmp_path / LATEST)
    moved = [p for p in (tmp_path / RUNS).iterdir() if p.name.startswith("earlier-latest-")]
    assert len(moved) == 1 and _pages(moved[0]) == {"management.html": "old layout"}


def test_one_report_rebuilt_for_another_date_does_not_replace_the_latest_set(tmp_path: Path) -> None:
    _full_run(tmp_path, "run-1", JULY, "july")
    march = date(2026, 3, 31)
    single = run_set_folder(tmp_path, "run-2", march)
    write_pages(single, {"key_accounts.html": "key accounts march"})
    publish_rebuilt_report(tmp_path, march, single, keep_runs=10)
    assert _pages(tmp_path / march.isoformat()) == {"key_accounts.html": "key accounts march"}
    assert _pages(tmp_path / LATEST) == {"index.html": "index july", "management.html": "management july"}
    same_date = run_set_folder(tmp_path, "run-3", JULY)  # the latest date: latest follows
    write_pages(same_date, {"management.html": "management july, corrected"})
    publish_rebuilt_report(tmp_path, JULY, same_date, keep_runs=10)
    assert _pages(tmp_path / LATEST) == {"index.html": "index july", "management.html": "management july, corrected"}


def test_a_report_knows_whether_the_index_comes_later_in_its_run() -> None:
    from dagster import AssetKey, asset, materialize

    from reports.common.publish import index_in_run

    seen: list[bool] = []

    @asset(key=["reports", "some_report"])
    def some_report(context) -> None:
        seen.append(index_in_run(context))

    @asset(key=["reports", "index"], deps=[some_report])
    def index() -> None:
        pass

    assert materialize([some_report, index]).success
    assert materialize([some_report, index], selection=[AssetKey(["reports", "some_report"])]).success
    assert seen == [True, False]
