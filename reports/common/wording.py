"""The words a report page shows, in Chinese and English, read from the ``wording.toml`` beside
the report's code.

A translator edits one data file per report and never touches Python. Each top-level table of the
file (``[labels.zh]``, ``[labels.en]``, ...) holds one language's texts; both languages must have
the same keys and, in each text, the same ``{placeholders}``, so a page never shows a raw key or
fails on a missing value in one language only.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("zh", "en")
WORDING_FILE = "wording.toml"


class WordingError(ValueError):
    """A wording file whose two languages do not match (names the file, table and key)."""


def wording(module_file: str) -> dict[str, dict[str, Any]]:
    """Every table of the ``wording.toml`` in the folder of ``module_file``:
    ``{table: {language: texts}}``, where texts is a mapping of key to text or a list of texts."""
    return _read(Path(module_file).resolve().parent / WORDING_FILE)


@cache
def _read(path: Path) -> dict[str, dict[str, Any]]:
    with path.open("rb") as handle:
        tables = tomllib.load(handle)
    for name, table in tables.items():
        _check_table(path, name, table)
    return tables


def _check_table(path: Path, name: str, table: Any) -> None:
    where = f"{path.parent.name}/{path.name} [{name}]"
    if not isinstance(table, dict) or sorted(table) != sorted(LANGUAGES):
        raise WordingError(f"{where}: needs exactly the languages {', '.join(LANGUAGES)}, one sub-table each")
    first, *others = LANGUAGES
    for language in others:
        _check_same_shape(where, first, table[first], language, table[language])


def _check_same_shape(where: str, first: str, texts: Any, language: str, other: Any) -> None:
    if isinstance(texts, list):
        if not isinstance(other, list) or len(other) != len(texts):
            raise WordingError(f"{where}: {language} must list as many texts as {first} ({len(texts)})")
        pairs = [(str(i + 1), a, b) for i, (a, b) in enumerate(zip(texts, other, strict=True))]
    else:
        missing = sorted(set(texts) ^ set(other))
        if missing:
            raise WordingError(f"{where}: keys not in both {first} and {language}: {', '.join(missing)}")
        pairs = [(key, texts[key], other[key]) for key in texts]
    for key, a, b in pairs:
        if not isinstance(a, str) or not isinstance(b, str):
            raise WordingError(f"{where} {key}: every text must be a string")
        if _placeholders(a) != _placeholders(b):
            raise WordingError(f"{where} {key}: {first} uses {sorted(_placeholders(a))}, "
                               f"{language} uses {sorted(_placeholders(b))}")


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
