"""The README stays a front door and the docs point at things that exist: README.md has at most 200
lines, every doc page starts with a title and a link back to the README, and every relative link and
every backticked repository path in README.md and docs/**/*.md exists.

Links are resolved relative to the file they are in (a ``#fragment`` on a Markdown page must be one
of its headings); backticked paths relative to the repository root. A backticked path is a word
starting with one of the repository's folders (``assets/``, ``checks/``, ``reports/``,
``pipelines/``, ``docs/``, ``tests/``) that names a file (it has a suffix, ``.py``, ``.md``...) or a
folder (it ends in ``/``); words without either, such as the asset keys ``reports/index`` or
``raw/<kind>``, are not paths. Not checked: paths with wildcards or placeholders (``*``, ``<topic>``,
``{}``), paths under ``data/`` and outputs of a run (``reports/latest/...``, ``reports/<as_of>/...``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 200
PATH_FOLDERS = ("assets/", "checks/", "reports/", "pipelines/", "docs/", "tests/")
OUTPUT_PREFIXES = ("data/", "reports/latest/")
PLACEHOLDER = re.compile(r"[*?<>{}\[\]]|\.\.\.|…")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# The topics whose rules the README's table must locate (first cell of a row).
README_TOPICS = (
    "ingest", "staging", "identity", "orders", "customer_360", "rfm", "clusters", "key_accounts",
    "lifecycle", "cohorts", "kpis", "churn", "clv", "actions", "recommendations", "scorecard",
    "management report", "key-account report", "churn watchlist report", "data-quality report",
)


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md, the pages in docs/ and the README beside each topic's code."""
    topic_readmes = sorted(path for folder in ("assets", "checks", "reports")
                           for path in (root / folder).rglob("README.md"))
    return [root / "README.md", *sorted((root / "docs").rglob("*.md")), *topic_readmes]


def prose(text: str) -> str:
    """The text without fenced code blocks (links and code spans there are not Markdown)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading counts by its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in HEADING.findall(prose(page.read_text(encoding="utf-8")))}


def relative_links(page: Path) -> list[str]:
    """Every link and image target of ``page`` that is not a URL or a bare in-page anchor."""
    targets = LINK.findall(prose(page.read_text(encoding="utf-8")))
    return [t for t in targets if not SCHEME.match(t) and not t.startswith("#")]


def broken_links(page: Path) -> list[str]:
    problems = []
    for target in relative_links(page):
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve()
        if not resolved.exists():
            problems.append(f"{page.name}: link {target} -> {resolved} does not exist")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{page.name}: link {target}: no heading #{fragment} in {path_part}")
    return problems


def _clean(word: str) -> str:
    return word.strip("\"'(),;:.").rstrip("\\")


def is_checked_path(word: str) -> bool:
    """A word naming a repository file or folder, and not a placeholder, wildcard or run output."""
    if not word.startswith(PATH_FOLDERS) or word.startswith(OUTPUT_PREFIXES) or PLACEHOLDER.search(word):
        return False
    return word.endswith("/") or bool(Path(word).suffix)


def backticked_paths(page: Path) -> list[str]:
    words = []
    for span in CODE_SPAN.findall(prose(page.read_text(encoding="utf-8"))):
        for word in span.split():
            word = _clean(word)
            if is_checked_path(word):
                words.append(word)
    return words


def missing_paths(page: Path, root: Path = ROOT) -> list[str]:
    return [f"{page.relative_to(root)}: `{word}` does not exist in the repository"
            for word in backticked_paths(page) if not (root / word).exists()]


def test_the_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines, at most {MAX_README_LINES}"


def test_every_doc_page_has_a_title_and_a_way_back():
    pages = doc_files()[1:]
    assert len(pages) >= 20, f"expected the docs/ pages, found {len(pages)}"
    for page in pages:
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines and lines[0].startswith("# "), f"{page}: the first line is not a one-line title"
        back = [t for t in relative_links(page) if (page.parent / t.partition("#")[0]).resolve() == README]
        assert back, f"{page}: no link back to README.md"


def test_the_readme_locates_every_topic():
    text = README.read_text(encoding="utf-8")
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")]
    for topic in README_TOPICS:
        assert any(row.startswith(topic) for row in rows), f"README.md: no row for {topic!r}"
    ka_row = next(line for line in text.splitlines() if line.startswith("| key_accounts"))
    for where in ("assets/analytics/key_accounts/", "checks/analytics/key_accounts.py", "[key_accounts]",
                  "assets/analytics/key_accounts/README.md"):
        assert where in ka_row, f"README.md key_accounts row does not name {where}"


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_exists(page: Path):
    assert not broken_links(page), "\n".join(broken_links(page))


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_backticked_repository_path_exists(page: Path):
    assert not missing_paths(page), "\n".join(missing_paths(page))


def test_the_scan_finds_the_links_and_paths_it_checks():
    pages = doc_files()
    assert sum(len(relative_links(p)) for p in pages) >= 50
    assert sum(len(backticked_paths(p)) for p in pages) >= 100
    assert "reports/screenshots/management.zh.png" in relative_links(README)
    assert "assets/analytics/key_accounts/" in backticked_paths(README)


def test_the_checks_see_a_broken_link_a_missing_anchor_and_a_missing_path(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "here.py").write_text("", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Title\n\n## Cleaning (staging)\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "# Page\n\n[back](../README.md) [ok](../README.md#cleaning-staging) [gone](../GONE.md) "
        "[no anchor](../README.md#nowhere) [web](https://example.com)\n\n"
        "`assets/here.py` `assets/gone.py` `checks/<topic>_checks.py` `data/inbox/x.csv` "
        "`reports/latest/index.html` `reports/index` `assets/*.py`\n\n"
        "```\n[fenced](NOT_A_LINK.md) `assets/fenced.py`\n```\n",
        encoding="utf-8")
    assert broken_links(page) == [
        f"page.md: link ../GONE.md -> {(tmp_path / 'GONE.md').resolve()} does not exist",
        "page.md: link ../README.md#nowhere: no heading #nowhere in ../README.md",
    ]
    assert missing_paths(page, tmp_path) == ["docs/page.md: `assets/gone.py` does not exist in the repository"]


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Cleaning (staging)", "cleaning-staging"),
    ("Key accounts (`analytics.key_accounts`, 重点客户管理表)", "key-accounts-analyticskey_accounts-重点客户管理表"),
    ("Generative tests (`tests/generative/`, marker `generative`)",
     "generative-tests-testsgenerative-marker-generative"),
])
def test_anchors_follow_github(heading: str, anchor: str):
    assert slug(heading) == anchor
