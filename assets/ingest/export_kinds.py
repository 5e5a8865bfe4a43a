"""Export kinds: which canonical columns each kind of export has, the header aliases that map onto
them, and how a file's kind is recognised from its header row."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import SHIPPED_EXPORT_KINDS_FILE

_SEPARATORS = re.compile(r"[\s_\-\.]+")


class ExportFormatError(ValueError):
    """An export file that cannot be read as any known kind; the message names file, row and column."""


def normalise_header(header: str) -> str:
    """Header text reduced for matching: no BOM, no case, spaces/underscores/hyphens/dots alike."""
    text = header.replace("\ufeff", "").strip().lower()
    return _SEPARATORS.sub(" ", text).strip()


@dataclass(frozen=True)
class ExportKind:
    """One kind of export (for example sales order lines) and how to read its headers."""

    name: str
    source: str
    description: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str]  # normalised header -> canonical column

    def map_headers(self, headers: list[str], file_label: str) -> tuple[dict[str, str], list[str]]:
        """Map a file's headers to canonical columns.

        Returns ``(original header -> canonical column, headers that match nothing)``. Two headers
        that mean the same column are an error naming both.
        """
        mapping: dict[str, str] = {}
        unmapped: list[str] = []
        seen: dict[str, str] = {}
        for header in headers:
            canonical = self.aliases.get(normalise_header(header))
            if canonical is None:
                unmapped.append(header)
                continue
            if canonical in seen:
                raise ExportFormatError(
                    f"{file_label}, row 1: columns {seen[canonical]!r} and {header!r} both mean "
                    f"{canonical!r} for {self.name}; remove or rename one of them"
                )
            seen[canonical] = header
            mapping[header] = canonical
        return mapping, unmapped

    def missing_required(self, headers: list[str]) -> list[str]:
        present = {self.aliases.get(normalise_header(h)) for h in headers}
        return [column for column in self.required if column not in present]


def load_export_kinds(extra_aliases_file: str | Path | None = None) -> dict[str, ExportKind]:
    """Read the shipped export kinds and add the user's extra aliases, if any."""
    with SHIPPED_EXPORT_KINDS_FILE.open("rb") as handle:
        shipped = tomllib.load(handle)["kinds"]
    extra: dict = {}
    if extra_aliases_file:
        with Path(extra_aliases_file).open("rb") as handle:
            extra = tomllib.load(handle).get("kinds", {})
    unknown = sorted(set(extra) - set(shipped))
    if unknown:
        raise ValueError(f"{extra_aliases_file}: unknown export kinds {unknown}; known: {sorted(shipped)}")

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
                aliases.setdefault(normalise_header(alias), column)
        kinds[name] = ExportKind(
            name=name,
            source=spec["source"],
            description=spec["description"],
            columns=tuple(columns),
            required=tuple(spec["required"]),
            aliases=aliases,
        )
    return kinds


def detect_kind(headers: list[str], candidates: list[ExportKind], file_label: str) -> ExportKind:
    """Pick the kind of a file from its headers among the kinds of its inbox folder.

    The kind must have all its required columns; among those, the most required columns wins, then
    the most matched columns. Raises an error naming the file and what is missing otherwise.
    """
    qualified = [kind for kind in candidates if not kind.missing_required(headers)]
    if not qualified:
        closest = min(candidates, key=lambda kind: len(kind.missing_required(headers)))
        raise ExportFormatError(
            f"{file_label}, row 1: headers {headers} match no export kind of this folder; closest is "
            f"{closest.name}, which is missing required column(s) {closest.missing_required(headers)}. "
            f"Add your header names as aliases (CRM_COLUMN_ALIASES) or rename the columns."
        )

    def score(kind: ExportKind) -> tuple[int, int]:
        matched = {kind.aliases.get(normalise_header(h)) for h in headers} - {None}
        return len(kind.required), len(matched)

    ranked = sorted(qualified, key=score, reverse=True)
    if len(ranked) > 1 and score(ranked[0]) == score(ranked[1]):
        raise ExportFormatError(
            f"{file_label}, row 1: headers fit both {ranked[0].name} and {ranked[1].name} equally; "
            "put the file in the right folder or rename its columns"
        )
    return ranked[0]
