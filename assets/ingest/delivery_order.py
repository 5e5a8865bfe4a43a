"""Which of two exports delivered together is the later one.

Within one load pass the file's own modification time decides; between files modified at the same
instant, an explicit version in the file name: ``orders (2).csv`` (a browser's or Windows' second
copy), ``orders v2.csv`` / ``ver 2`` / ``rev 2``, ``订单 第2版.csv``, ``版本2``, ``orders_2.csv`` (a
trailing ``_2``, ``-2`` or `` 2`` of one or two digits without a leading zero that does not end a
date such as ``2025-08`` or ``2025_08_02``), or a correction word (更正, 修正, 更新, 修订, 订正, 最终,
corrected, correction, revised, updated, fixed, final: version 1, or the number right after it).
A name without any of these is version 0. The alphabetical order of names never decides.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_VERSION_PATTERNS = (
    re.compile(r"[(（]\s*(\d{1,3})\s*[)）]$"),
    re.compile(r"(?:^|[\s_\-.])(?:v|ver|version|rev|revision)\s*\.?\s*(\d{1,3})(?=$|[\s_\-.])", re.IGNORECASE),
    re.compile(r"第\s*(\d{1,3})\s*[版次稿]"),
    re.compile(r"(?:版本|修订版)\s*(\d{1,3})"),
)
_TRAILING_NUMBER = re.compile(r"[\s_\-]([1-9]\d?)$")
_DATE_END = re.compile(r"(?:19|20)\d{2}([-_./年])\d{1,2}(?:\1\d{1,2})?[月日]?$")
_CORRECTION = re.compile(
    r"(更正|修正|更新|修订|订正|最终|corrected|correction|revised|updated|fixed|final)\s*[_\-]?\s*(\d{1,2})?",
    re.IGNORECASE,
)


def _stem(relative: str) -> str:
    name = PurePosixPath(relative).name
    for suffix in (".gz", ".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name.strip()


def file_sequence(relative: str) -> int:
    """The version a file name states (0 when it states none); a higher one is a later export."""
    stem = _stem(relative)
    found = [int(m.group(1)) for pattern in _VERSION_PATTERNS for m in pattern.finditer(stem)]
    trailing = _TRAILING_NUMBER.search(stem)
    if trailing and not _DATE_END.search(stem):
        found.append(int(trailing.group(1)))
    correction = _CORRECTION.search(stem)
    if correction:
        found.append(int(correction.group(2)) if correction.group(2) else 1)
    return max(found, default=0)
