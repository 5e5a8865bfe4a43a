"""How exports are read: the ``[ingest]`` section of the settings file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DELIMITER_WORDS = {**{name: char for char, name in DELIMITERS.items()}, **{char: char for char in DELIMITERS},
                    "\\t": "\t"}


@dataclass(frozen=True)
class IngestSettings:
    """Reading settings. ``delimiter`` decides text files whose first lines fit several delimiters
    equally well; ``header_search_rows`` is how far down a file or sheet the header row may be."""

    delimiter: str = _DELIMITER_WORDS[shipped("ingest", "delimiter")]
    header_search_rows: int = int(shipped("ingest", "header_search_rows"))

    @classmethod
    def from_thresholds(cls, thresholds: dict[str, Any] | None) -> IngestSettings:
        """Read ``[ingest]`` from the loaded settings; a missing key keeps its default."""
        section = (thresholds or {}).get("ingest", {})
        word = str(section.get("delimiter", shipped("ingest", "delimiter")))
        delimiter = _DELIMITER_WORDS.get(word.lower(), _DELIMITER_WORDS.get(word))
        if delimiter is None:
            raise ValueError(f"[ingest] delimiter must be comma, semicolon, tab or pipe, got {word!r}")
        rows = int(section.get("header_search_rows", cls.header_search_rows))
        if not 1 <= rows <= 1000:
            raise ValueError(f"[ingest] header_search_rows must be between 1 and 1000, got {rows}")
        return cls(delimiter=delimiter, header_search_rows=rows)


def delimiter_name(delimiter: str) -> str:
    """``;`` -> ``semicolon-separated``."""
    return f"{DELIMITERS.get(delimiter, repr(delimiter))}-separated"
