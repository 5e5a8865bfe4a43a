"""The SQL of every topic lives in ``.sql`` files with its values bound as parameters
(assets/common/sql.py), and no Python module of the shipped packages writes SQL statements of its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
import pytest

from assets.common.sql import SqlFolder, SqlTemplateError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("assets", "checks", "reports", "pipelines")
# A string literal that creates or changes a table, or reads with a join, a grouping or a window:
# that is a statement with business meaning, and it belongs in a .sql file.
STATEMENT = re.compile(
    r"\b(CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|MACRO|SCHEMA|SEQUENCE)"
    r"|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE\s+\w+(\.\w+)?\s+SET|ALTER\s+TABLE|DROP\s+(TABLE|VIEW)"
    r"|\bJOIN\b|GROUP\s+BY|\bOVER\s*\(|\bWITH\s+\w+\s+AS\s*\()",
    re.IGNORECASE,
)


def _python_modules() -> list[Path]:
    return sorted(
        path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
        if "tools" not in path.relative_to(ROOT).parts
    )


def embedded_statements(path: Path) -> list[tuple[int, str]]:
    """(line, first words) of every string literal in ``path`` that is a SQL statement."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        parts: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = [node.value]
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
        text = " ".join(parts)
        if STATEMENT.search(text) and not text.lstrip().startswith(("One row", "The ", "A ", "Every")):
            found.append((node.lineno, " ".join(text.split())[:60]))
    return found


def test_no_python_module_writes_sql_statements_of_its_own() -> None:
    offenders = {
        str(path.relative_to(ROOT)): statements
        for path in _python_modules()
        if (statements := embedded_statements(path))
    }
    assert not offenders, "SQL statements in Python modules (move them to the topic's sql/ folder):\n" + "\n".join(
        f"{path}:{line}: {text}" for path, statements in offenders.items() for line, text in statements
    )


def _sql_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("sql/*.sql"))


def test_every_sql_file_is_used_by_a_module_of_its_topic() -> None:
    """A .sql file is used when a Python module of its topic names it, or when another .sql file
    includes it as a part (``{% include "name.sql" %}``)."""
    included = {name for path in _sql_files()
                for name in re.findall(r'{%-?\s*include\s+"([^"]+)\.sql"', path.read_text(encoding="utf-8"))}
    unused = []
    for path in _sql_files():
        topic = path.parent.parent
        sources = " ".join(module.read_text(encoding="utf-8") for module in topic.rglob("*.py"))
        if f'"{path.stem}"' not in sources and path.stem not in included:
            unused.append(str(path.relative_to(ROOT)))
    assert not unused, f"SQL files no module of their topic runs and no SQL file includes: {unused}"


def test_every_sql_file_is_a_valid_template() -> None:
    import jinja2

    environment = jinja2.Environment()
    for path in _sql_files():
        environment.parse(path.read_text(encoding="utf-8"))


@pytest.fixture
def folder(tmp_path: Path) -> SqlFolder:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "two.sql").write_text(
        "CREATE OR REPLACE TABLE {{ table }} AS SELECT CAST($first AS INTEGER) AS v;\n"
        "INSERT INTO {{ table }} SELECT CAST($second AS INTEGER);\n"
        "SELECT v FROM {{ table }} ORDER BY v;\n",
        encoding="utf-8",
    )
    return SqlFolder(tmp_path / "module.py")


def test_statements_run_in_order_each_with_its_own_parameters(folder: SqlFolder) -> None:
    conn = duckdb.connect()
    assert folder.rows(conn, "two", {"table": "main.numbers"}, first=1, second=2) == [(1,), (2,)]


def test_a_template_cannot_print_data_into_the_sql(folder: SqlFolder) -> None:
    with pytest.raises(SqlTemplateError, match="bind it as a \\$parameter"):
        folder.text("two", {"table": "numbers; DROP TABLE x"})
    with pytest.raises(SqlTemplateError):
        folder.text("two", {"table": "O'Brien"})


def test_a_missing_structure_name_or_an_unused_parameter_is_an_error(folder: SqlFolder) -> None:
    with pytest.raises(Exception, match="table"):
        folder.text("two")
    with pytest.raises(TypeError, match="no parameter third"):
        folder.run(duckdb.connect(), "two", {"table": "t"}, first=1, second=2, third=3)
    with pytest.raises(FileNotFoundError, match=r"missing\.sql"):
        folder.text("missing")


def test_named_queries_are_returned_by_name_without_their_semicolon(tmp_path: Path) -> None:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "checks.sql").write_text(
        "-- name: too_old\nSELECT 1 WHERE $x > 1;\n\n-- name: too_young\nSELECT 2;\n", encoding="utf-8")
    queries = SqlFolder(tmp_path / "module.py").named("checks")
    assert queries == {"too_old": "SELECT 1 WHERE $x > 1", "too_young": "SELECT 2"}
