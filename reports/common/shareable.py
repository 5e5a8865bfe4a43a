"""Texts that came from files or errors, made safe for a shareable report.

Report pages travel by e-mail and file share, so a text that came from an error message or a file
name must not show where things live on the machine: an absolute path (``/srv/crm/data/inbox/sales/
orders.csv``, ``C:\\exports\\orders.csv``, ``file:///...``) is cut to what the reader can use (the
path inside the inbox, else the file name), and contacts inside the text are masked.

The report asset knows the installation's folders (inbox, warehouse, reports, models) and declares
them with ``known_folders`` while it renders; ``shareable_text`` then writes a path inside the inbox
relative to the inbox and the other folders by their name, even when a folder name has spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PureWindowsPath

from assets.common.masking import mask_text

# Characters that end a path inside a sentence (quotes, brackets, separators of a message).
_STOP = r"""\s'"<>|:;,()\[\]{}"""
_FILE_URL = re.compile(rf"file://[^{_STOP}]*")
# An absolute POSIX path with at least two parts (/a/b), not inside a URL or a relative path.
_POSIX = re.compile(rf"(?<![\w.~/:\\-])/(?:[^{_STOP}/\\]+/)+[^{_STOP}/\\]*")
# A Windows drive path (C:\a\b) or a UNC path (\\server\share\b).
_WINDOWS = re.compile(rf"(?<![\w\\])(?:[A-Za-z]:|\\\\[^{_STOP}\\/]+)\\(?:[^{_STOP}\\/]+\\)*[^{_STOP}\\/]*")

# (absolute folder, what replaces it), longest first; set while a report asset renders.
_FOLDERS: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("report_known_folders", default=())


def _last_part(path: str) -> str:
    parts = [p for p in re.split(r"[/\\]+", path) if p]
    return parts[-1] if parts else ""


def _folder_rules(inbox: str | None, others: tuple[str | None, ...]) -> tuple[tuple[str, str], ...]:
    rules: dict[str, str] = {}
    for folder, relative in ((inbox, True), *((other, False) for other in others)):
        if not folder:
            continue
        for spelling in {str(Path(folder)), str(Path(folder).resolve())}:
            if Path(spelling).is_absolute() and len(Path(spelling).parts) >= 3:  # never "/" or "/data"
                rules.setdefault(spelling, "" if relative else Path(spelling).name)
    return tuple(sorted(rules.items(), key=lambda rule: -len(rule[0])))


@contextmanager
def known_folders(inbox: str | None = None, *others: str | None) -> Iterator[None]:
    """While rendering: a path inside ``inbox`` is written relative to it, a path inside one of
    ``others`` (the warehouse file, the reports and models folders) starts at that folder's name."""
    token = _FOLDERS.set(_folder_rules(inbox, others))
    try:
        yield
    finally:
        _FOLDERS.reset(token)


def strip_known_folders(text: str) -> str:
    """``text`` with the known folders (see ``known_folders``) shortened; nothing else changed."""
    for folder, replacement in _FOLDERS.get():
        # Only whole folder names: /srv/crm/inbox must not eat the start of /srv/crm/inbox2.
        pattern = re.compile(re.escape(folder) + r"(?:[/\\]|(?![\w.-]))")

        def shorten(match: re.Match, replacement: str = replacement) -> str:
            ends_with_separator = match.group(0)[-1] in "/\\"
            if replacement:
                return replacement + ("/" if ends_with_separator else "")
            return "" if ends_with_separator else "inbox"

        text = pattern.sub(shorten, text)
    return text


def strip_paths(text: str) -> str:
    """``text`` without absolute paths: the known folders as described above, any other absolute path
    (POSIX, Windows, UNC or file:// URL) cut to its last part."""
    text = strip_known_folders(text)
    text = _FILE_URL.sub(lambda m: _last_part(m.group(0)[len("file://"):]), text)
    text = _WINDOWS.sub(lambda m: PureWindowsPath(m.group(0)).name or _last_part(m.group(0)), text)
    return _POSIX.sub(lambda m: _last_part(m.group(0)), text)


def shareable_text(text: object) -> str:
    """A text from a file or an error as a report may show it: no absolute path, contacts masked
    (HTML escaping is left to the templates). None reads as an empty text."""
    if text is None:
        return ""
    return mask_text(strip_paths(str(text)))
