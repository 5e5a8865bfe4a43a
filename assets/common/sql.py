"""The SQL of each topic, kept in ``.sql`` files beside its code (``<topic>/sql/<name>.sql``).

A file holds one or more statements in DuckDB's dialect. Values (dates, thresholds, names from the
settings) are never written into the text: they are bound as named parameters (``$as_of``,
``$bins``). Where a statement's shape depends on a fixed vocabulary (the columns of an export kind,
the schemas of the layers), the file is a Jinja template and the structure is passed by name; the
template may only print identifiers (``core.orders``, ``order_date``) and whole numbers, so data
cannot reach the SQL text even by mistake.

A part of a query that several topics share (who the buyers are, say) is a file of
``assets/common/sql`` named in ``SHARED_PARTS``; any topic's template includes it by name
(``{% include "revenue_buyers.sql" %}``), its own files first.

A file of separate queries that Python runs one by one (the failing-row queries of a check, say)
names each with a ``-- name: <query>`` line before it, the convention of aiosql and yesql;
``SqlFolder.named`` returns them by name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2
import polars as pl

_QUERY_NAME = re.compile(r"^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", re.MULTILINE)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")

COMMON_SQL_FOLDER = Path(__file__).resolve().parent / "sql"
# The query parts of assets/common/sql that every topic's templates may include; the other files there
# belong to assets/common's own modules.
SHARED_PARTS = ("revenue_buyers",)


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL text and the named parameters it uses."""

    text: str
    parameters: frozenset[str]


@lru_cache(maxsize=1024)
def split_statements(text: str) -> tuple[Statement, ...]:
    """The statements of ``text`` in order. Parsed once per text: the texts are templates of fixed
    vocabularies, so a run meets the same few hundred again and again, and parsing them twice cost
    5% of a small run."""
    return tuple(Statement(s.query, frozenset(s.named_parameters)) for s in _parser().extract_statements(text))


_PARSERS = threading.local()


def _parser() -> duckdb.DuckDBPyConnection:
    """This thread's private in-memory DuckDB, which only ever parses. Kept for the thread's life:
    opening an in-memory database costs about 20 ms, eight times the parse of a long file, and a
    command-line run parses some 250 texts."""
    parser = getattr(_PARSERS, "connection", None)
    if parser is None:
        parser = _PARSERS.connection = duckdb.connect(":memory:")
    return parser


class SqlTemplateError(ValueError):
    """A template printed something that is not an identifier or a whole number."""


def _only_structure(value: Any) -> str:
    if isinstance(value, jinja2.Undefined):
        return str(value)  # StrictUndefined: raises, naming the missing variable
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return value
    raise SqlTemplateError(
        f"a SQL template may print only identifiers and whole numbers, not {value!r}: bind it as a $parameter"
    )


def _shared_part(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """A shared query part for ``{% include %}``, or None for any other name (Jinja's FunctionLoader)."""
    if name.removesuffix(".sql") not in SHARED_PARTS:
        return None
    path = COMMON_SQL_FOLDER / name
    modified = path.stat().st_mtime_ns
    return path.read_text(encoding="utf-8"), str(path), lambda: path.stat().st_mtime_ns == modified


@cache
def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), jinja2.FunctionLoader(_shared_part)]),
        undefined=jinja2.StrictUndefined,
        finalize=_only_structure,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class SqlFolder:
    """The ``sql/`` folder beside a module: ``SqlFolder(__file__).run(conn, "rfm", as_of=...)``."""

    def __init__(self, module_file: str | Path) -> None:
        self.folder = Path(module_file).resolve().parent / "sql"

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.sql"

    def text(self, name: str, structure: Mapping[str, Any] | None = None) -> str:
        """The statement text of ``name.sql``, its template filled with ``structure``."""
        if not self.path(name).is_file():
            raise FileNotFoundError(f"no SQL file {self.path(name)}")
        return _environment(self.folder).get_template(f"{name}.sql").render(**(structure or {}))

    def run(
        self,
        conn: duckdb.DuckDBPyConnection,
        name: str,
        structure: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> duckdb.DuckDBPyConnection:
        """Run every statement of ``name.sql`` in order, each with the parameters it names; the
        connection holds the last statement's result. A parameter no statement uses is an error."""
        statements = split_statements(self.text(name, structure))
        unused = set(params) - set().union(*(s.parameters for s in statements))
        if unused:
            raise TypeError(f"{self.path(name).name} has no parameter {', '.join(sorted(unused))}")
        for statement in statements:
            wanted = {key: params[key] for key in statement.parameters if key in params}
            conn.execute(statement.text, wanted or None)
        return conn

    def rows(
        self,
        conn: duckdb.DuckDBPyConnection,
        name: str,
        structure: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> list[tuple]:
        """The rows of the last statement of ``name.sql``."""
        return self.run(conn, name, structure, **params).fetchall()

    def frame(
        self,
        conn: duckdb.DuckDBPyConnection,
        name: str,
        structure: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> pl.DataFrame:
        """The result of the one query of ``name.sql`` as a polars frame (read as a relation, Arrow
        all the way). Parameters the rendered query does not name are left out: a template may drop
        the part of the query that uses them."""
        (statement,) = split_statements(self.text(name, structure))
        wanted = {key: params[key] for key in statement.parameters if key in params}
        return conn.sql(statement.text, params=wanted or None).pl()

    def named(self, name: str, structure: Mapping[str, Any] | None = None) -> dict[str, str]:
        """The queries of ``name.sql`` by their ``-- name:`` line, each without its closing ``;``."""
        text = self.text(name, structure)
        marks = list(_QUERY_NAME.finditer(text))
        if not marks:
            raise ValueError(f"{self.path(name).name} names no query (a '-- name: <query>' line before each)")
        queries = {}
        for mark, following in zip(marks, [*marks[1:], None], strict=True):
            body = text[mark.end(): following.start() if following else len(text)].strip().rstrip(";").strip()
            if mark.group(1) in queries:
                raise ValueError(f"{self.path(name).name} names the query {mark.group(1)} twice")
            queries[mark.group(1)] = body
        return queries
