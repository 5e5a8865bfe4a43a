"""Export kinds: which canonical columns each kind of export has, the header aliases that map onto
them, the inbox folder names of each source system, and how a file's kind and header row are
recognised from its first rows."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assets.common.settings import SHIPPED_EXPORT_KINDS_FILE

_SEPARATORS = re.compile(r"[\s_\-\.]+")
# Decorations that do not change what a header means: a required-field star, a trailing colon, a
# currency unit in brackets ("金额(元)").
_DECORATION = re.compile(r"^\*+|[:：]+$|\((元|人民币|rmb|cny|¥|yuan)\)$")


class ExportFormatError(ValueError):
    """An export file that cannot be read as any known kind; the message names file, row and column."""


def normalise_header(header: str) -> str:
    """Header text reduced for display and matching: no BOM, no case, spaces/underscores/hyphens/dots alike."""
    text = header.replace("\ufeff", "").strip().lower()
    return _SEPARATORS.sub(" ", text).strip()


def header_key(header: str) -> str:
    """The matching key of a header or folder name: full-width folded to half-width (NFKC), lower
    case, no separators at all ("Order ID" = "order_id" = "OrderID"), no star, colon or unit."""
    text = unicodedata.normalize("NFKC", header.replace("\ufeff", "")).strip().lower()
    text = _DECORATION.sub("", _SEPARATORS.sub("", text))
    return _DECORATION.sub("", text)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column position: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def describe_column(index: int, header: str) -> str:
    """A column as a person finds it in a spreadsheet: ``C ('金额')``."""
    return f"{column_letter(index)} ({header!r})" if header else f"{column_letter(index)} (no header)"


@dataclass(frozen=True)
class ExportKind:
    """One kind of export (for example sales order lines) and how to read its headers."""

    name: str
    source: str
    description: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str]  # header_key -> canonical column
    # A required column a file may leave out when it has all of these instead (its value is derived
    # in staging), e.g. amount from quantity and unit_price.
    derivable: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def canonical_of(self, header: str) -> str | None:
        """The canonical column a header means, or None."""
        return self.aliases.get(header_key(header))

    def map_columns(self, headers: Sequence[str], file_label: str, row: int = 1) -> list[str | None]:
        """The canonical column of each header position (None for a header that matches nothing).
        Two headers that mean the same column are an error naming both columns."""
        mapped: list[str | None] = []
        seen: dict[str, int] = {}
        for index, header in enumerate(headers):
            canonical = self.canonical_of(header) if header else None
            if canonical is not None and canonical in seen:
                first = seen[canonical]
                raise ExportFormatError(
                    f"{file_label}, row {row}: columns {describe_column(first, headers[first])} and "
                    f"{describe_column(index, header)} both mean {canonical!r} for {self.name}; remove or "
                    "rename one of them (or add the one to keep as an alias in CRM_COLUMN_ALIASES and "
                    "rename the other)"
                )
            if canonical is not None:
                seen[canonical] = index
            mapped.append(canonical)
        return mapped

    def map_headers(self, headers: list[str], file_label: str, row: int = 1) -> tuple[dict[str, str], list[str]]:
        """Map a file's headers to canonical columns.

        Returns ``(original header -> canonical column, headers that match nothing)``. Two headers
        that mean the same column are an error naming both.
        """
        mapped = self.map_columns(headers, file_label, row)
        mapping = {h: c for h, c in zip(headers, mapped, strict=True) if c is not None}
        unmapped = [h for h, c in zip(headers, mapped, strict=True) if c is None and h]
        return mapping, unmapped

    def missing_required(self, headers: Sequence[str]) -> list[str]:
        present = {self.canonical_of(h) for h in headers if h}
        return [column for column in self.required if column not in present
                and not (column in self.derivable and set(self.derivable[column]) <= present)]

    def matched_count(self, headers: Sequence[str]) -> int:
        """How many distinct canonical columns of this kind the headers carry."""
        return len({self.canonical_of(h) for h in headers if h} - {None})


def _read_toml(path: str | Path | None) -> dict:
    if not path:
        return {}
    with Path(path).open("rb") as handle:
        return tomllib.load(handle)


def _shipped_and_extra(section: str, extra_aliases_file: str | Path | None, what: str) -> tuple[dict, dict]:
    """One section of the shipped export_kinds.toml and of the user's alias file, which may only
    name entries the shipped file has."""
    shipped = _read_toml(SHIPPED_EXPORT_KINDS_FILE)[section]
    extra = _read_toml(extra_aliases_file).get(section, {})
    unknown = sorted(set(extra) - set(shipped))
    if unknown:
        raise ValueError(f"{extra_aliases_file}: unknown {what} {unknown}; known: {sorted(shipped)}")
    return shipped, extra


def load_export_kinds(extra_aliases_file: str | Path | None = None) -> dict[str, ExportKind]:
    """Read the shipped export kinds and add the user's extra aliases, if any."""
    shipped, extra = _shipped_and_extra("kinds", extra_aliases_file, "export kinds")

    kinds: dict[str, ExportKind] = {}
    for name, spec in shipped.items():
        columns = dict(spec["columns"])
        for column, more in extra.get(name, {}).get("columns", {}).items():
            if column not in columns:
                raise ValueError(f"{extra_aliases_file}: {name} has no column {column!r}")
            columns[column] = [*columns[column], *more]
        aliases: dict[str, str] = {}
        for column, names in columns.items():
            for alias in [column, *names]:
                aliases.setdefault(header_key(alias), column)
        kinds[name] = ExportKind(
            name=name,
            source=spec["source"],
            description=spec["description"],
            columns=tuple(columns),
            required=tuple(spec["required"]),
            aliases=aliases,
            derivable={column: tuple(sources) for column, sources in spec.get("derivable", {}).items()},
        )
    return kinds


def load_source_folders(extra_aliases_file: str | Path | None = None) -> dict[str, str]:
    """Folder name key (see :func:`header_key`) -> source system, shipped names plus the user's."""
    shipped, extra = _shipped_and_extra("sources", extra_aliases_file, "sources")
    folders: dict[str, str] = {}
    for source, spec in shipped.items():
        for name in [source, *spec.get("folders", []), *extra.get(source, {}).get("folders", [])]:
            folders.setdefault(header_key(name), source)
    return folders


def detect_kind(headers: list[str], candidates: list[ExportKind], file_label: str, row: int = 1) -> ExportKind:
    """Pick the kind of a file from its headers among the kinds of its inbox folder.

    The kind must have all its required columns; among those, the most required columns wins, then
    the most matched columns. Raises an error naming the file and what is missing otherwise.
    """
    qualified = [kind for kind in candidates if not kind.missing_required(headers)]
    if not qualified:
        where = "of this folder" if len({k.source for k in candidates}) == 1 else "this pipeline knows"
        closest = min(candidates, key=lambda kind: (len(kind.missing_required(headers)), -kind.matched_count(headers)))
        raise ExportFormatError(
            f"{file_label}, row {row}: headers {[h for h in headers if h]} match no export kind {where}; "
            f"closest is {closest.name}, which is missing required column(s) {closest.missing_required(headers)}. "
            f"Add your header names as aliases (CRM_COLUMN_ALIASES) or rename the columns."
        )

    def score(kind: ExportKind) -> tuple[int, int]:
        return len(kind.required), kind.matched_count(headers)

    ranked = sorted(qualified, key=score, reverse=True)
    if len(ranked) > 1 and score(ranked[0]) == score(ranked[1]):
        raise ExportFormatError(
            f"{file_label}, row {row}: headers fit both {ranked[0].name} and {ranked[1].name} equally; "
            f"put the file in the folder of its source ({ranked[0].source}/ or {ranked[1].source}/) or rename "
            "its columns"
        )
    return ranked[0]


@dataclass(frozen=True)
class HeaderMatch:
    """Where a table's header row is (as a spreadsheet shows it) and which kind it is."""

    kind: ExportKind
    row: int


def best_header_row(rows: Sequence[Sequence[str]], kinds: Sequence[ExportKind]) -> int:
    """0-based index of the row carrying the most known headers (0 when none carries any)."""
    scores = [max((k.matched_count(cells) for k in kinds), default=0) for cells in rows]
    return max(range(len(rows)), key=lambda i: (scores[i], -i)) if rows and max(scores) > 0 else 0


def find_header(
    rows: Sequence[Sequence[str]], candidates: list[ExportKind], file_label: str, elsewhere: Sequence[ExportKind] = (),
) -> HeaderMatch:
    """Find the header row among a table's first rows (``rows[i]`` is spreadsheet row i + 1): the
    first row with all required columns of one of the candidate kinds. Title lines and blank rows
    above it are skipped. ``elsewhere`` are kinds of other folders, named in the error when the
    headers fit one of them (a file put in the wrong folder)."""
    for index, cells in enumerate(rows):
        if candidates and any(not kind.missing_required(cells) for kind in candidates):
            return HeaderMatch(detect_kind(list(cells), candidates, file_label, row=index + 1), index + 1)
    if not rows or all(not any(c.strip() for c in cells) for cells in rows):
        raise ExportFormatError(f"{file_label}, row 1: the table is empty (no header row)")
    guess = best_header_row(rows, [*candidates, *elsewhere])
    headers = list(rows[guess])
    misplaced = [k for k in elsewhere if not k.missing_required(headers)]
    if misplaced:
        kind = max(misplaced, key=lambda k: (len(k.required), k.matched_count(headers)))
        raise ExportFormatError(
            f"{file_label}, row {guess + 1}: these are the headers of a {kind.name} export, which belongs in "
            f"the {kind.source}/ folder; move the file there (this folder holds "
            f"{', '.join(sorted(k.name for k in candidates)) or 'no export kind'})"
        )
    if not candidates:
        raise ExportFormatError(f"{file_label}: this folder holds no export kind")
    try:
        detect_kind(headers, candidates, file_label, row=guess + 1)
    except ExportFormatError as exc:
        searched = f" (searched the first {len(rows)} rows for a header row)" if len(rows) > 1 else ""
        raise ExportFormatError(f"{exc}{searched}") from None
    raise AssertionError("unreachable: detect_kind accepted headers that find_header did not")  # pragma: no cover
