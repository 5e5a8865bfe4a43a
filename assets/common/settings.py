"""Run settings: where the exports, the warehouse and the reports live, the as-of date, and the
business thresholds from ``settings.toml``.

Environment variables (all optional):

- ``CRM_INBOX_DIR``: folder with one sub-folder per source system (default ``data/inbox``).
- ``CRM_WAREHOUSE_PATH``: DuckDB warehouse file (default ``data/warehouse.duckdb``).
- ``CRM_REPORTS_DIR``: where HTML reports go (default ``data/reports``; index at ``latest/index.html``).
- ``CRM_MODELS_DIR``: where trained models and model cards are saved (default: ``models/`` beside the
  warehouse file).
- ``CRM_AS_OF``: analysis date ``YYYY-MM-DD``; unset means "the newest order date in the exports".
- ``CRM_SETTINGS_FILE``: a settings file whose keys override those of the shipped
  ``pipelines/settings.toml`` (it needs only the keys it changes).
- ``CRM_COLUMN_ALIASES``: an extra header-alias file added to ``pipelines/export_kinds.toml``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import inspect
import os
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

SettingsClass = TypeVar("SettingsClass", bound=type)

# The shipped settings files live with the code location (pipelines/), as data: read by path, the
# pipelines package is never imported from here.
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "pipelines"
SHIPPED_SETTINGS_FILE = PACKAGE_DIR / "settings.toml"
SHIPPED_EXPORT_KINDS_FILE = PACKAGE_DIR / "export_kinds.toml"


def parse_as_of(text: str | None) -> date | None:
    """Read an as-of date written as YYYY-MM-DD; empty means "not set"."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"CRM_AS_OF must be a date written YYYY-MM-DD, got {text!r}") from exc


# Tables whose keys are values from the data (industry names, company sizes), not setting names.
FREE_KEY_TABLES = frozenset({"key_accounts.industry_points", "key_accounts.company_size_points"})
# Settings that may be given although the shipped file leaves them out, because their default is
# another setting: [actions] evaluation_days defaults to [churn] horizon_days.
OPTIONAL_KEYS = {"actions.evaluation_days": int}
# Settings that take "auto" or a number.
AUTO_OR_NUMBER = frozenset({"quality.max_order_line_amount"})


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "a text", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


def _unknown(key: str, where: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"{where}{key} is not a setting{hint}"


def settings_problems(changes: dict[str, Any], shipped: dict[str, Any], where: str = "") -> list[str]:
    """Every key of a settings file that the shipped ``settings.toml`` does not have, and every value
    of another kind than the shipped one (a text where a number belongs, say), each as a sentence.
    The shipped file is the list of settings: a misspelt key is an error, never silently ignored."""
    problems = []
    for key, value in changes.items():
        path = f"{where}{key}"
        if key not in shipped:
            expected = OPTIONAL_KEYS.get(path)
            if expected is not None and _same_kind(value, expected()):
                continue
            problems.append(_unknown(key, f"[{where[:-1]}] " if where else "", sorted(shipped)))
            continue
        default = shipped[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                problems.append(f"{path} must be a table, got {_type_name(value)}")
            elif path in FREE_KEY_TABLES:
                sample = next(iter(default.values()), None)
                problems += [f"{path}.{k} must be {_type_name(sample)}, got {_type_name(v)}"
                             for k, v in value.items() if sample is not None and not _same_kind(v, sample)]
            else:
                problems += settings_problems(value, default, f"{path}.")
        elif isinstance(default, list) and default and isinstance(default[0], dict):
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                problems.append(f"{path} must be a list of tables ([[{path}]]), got {_type_name(value)}")
                continue
            known = sorted({k for item in default for k in item})
            for number, item in enumerate(value, start=1):
                problems += [_unknown(k, f"[[{path}]] number {number}: ", known) for k in item if k not in known]
        elif path in AUTO_OR_NUMBER:
            if not (value == "auto" or (isinstance(value, int | float) and not isinstance(value, bool))):
                problems.append(f'{path} must be "auto" or a number, got {_type_name(value)} {value!r}')
        elif not _same_kind(value, default):
            problems.append(f"{path} must be {_type_name(default)} like the shipped {default!r}, "
                            f"got {_type_name(value)} {value!r}")
    return problems


def _overlay(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``defaults`` with every key of ``changes`` put over it; tables merge key by key, any other
    value (a number, a text, a list such as ``[[actions.playbook]]``) replaces the default."""
    merged = dict(defaults)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


def _file_identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path.resolve()), stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=16)
def _parsed_toml(identity: tuple[str, int, int]) -> dict[str, Any]:
    """One TOML file parsed, remembered by path, modification time and size: an edited file is read
    again. Each asset asks for the settings, so a run would otherwise parse the same file ~20 times."""
    with open(identity[0], "rb") as handle:
        return tomllib.load(handle)


def shipped(section: str, key: str) -> Any:
    """The shipped value of one setting, from ``pipelines/settings.toml``: the one place a default is
    written. The settings classes take their defaults from here (a copy each time)."""
    return copy.deepcopy(_parsed_toml(_file_identity(SHIPPED_SETTINGS_FILE))[section][key])


# The field types a settings class converts a section's value to, by the type or (under ``from
# __future__ import annotations``) by its name.
_SCALAR_TYPES: dict[Any, type] = {**{t: t for t in (int, float, str)}, **{t.__name__: t for t in (int, float, str)}}


def _scalar_type(annotation: Any) -> type | None:
    """int, float or str for a field annotated with one of them; None for any other annotation."""
    return _SCALAR_TYPES.get(annotation) if isinstance(annotation, str | type) else None


def shipped_defaults(section: str) -> Callable[[SettingsClass], SettingsClass]:
    """A class decorator for a settings dataclass (put it under ``@dataclass``): every annotated
    field written without a default takes the shipped value of the key of the same name in
    ``[section]`` of ``pipelines/settings.toml``, as its annotated type (int, float or str); a table
    or list field gets a fresh copy of the shipped value for each instance. A field whose default
    is written out (another section's setting, an empty rule list) keeps it."""

    def with_defaults(cls: SettingsClass) -> SettingsClass:
        for name, annotation in inspect.get_annotations(cls).items():
            if name in cls.__dict__:
                continue
            scalar = _scalar_type(annotation)
            if scalar is None:
                setattr(cls, name, field(default_factory=functools.partial(shipped, section, name)))
            else:
                setattr(cls, name, scalar(shipped(section, name)))
        return cls

    return with_defaults


def section_values(cls: type, section: Mapping[str, Any], defaults: Mapping[str, Any] | None = None,
                   exclude: Collection[str] = ()) -> dict[str, Any]:
    """The int, float and str fields of the settings dataclass ``cls`` read from a settings section:
    each key's value converted to the field's annotated type, a missing key taking the field's
    default (or ``defaults[name]`` when given). Fields of other types (rule lists, tables) and those
    in ``exclude`` are left to the caller."""
    values = {}
    for item in dataclasses.fields(cls):
        scalar = _scalar_type(item.type)
        if scalar is not None and item.name not in exclude:
            default = (defaults or {}).get(item.name, item.default)
            values[item.name] = scalar(section.get(item.name, default))
    return values


def load_thresholds(path: str | Path | None = None) -> dict[str, Any]:
    """The business thresholds (a nested dictionary): the shipped ``settings.toml``, with the keys of
    the settings file ``path`` (when given) over it, so that file needs only the keys it changes."""
    shipped = copy.deepcopy(_parsed_toml(_file_identity(SHIPPED_SETTINGS_FILE)))
    if not path:
        return shipped
    settings_path = Path(path)
    try:
        changes = copy.deepcopy(_parsed_toml(_file_identity(settings_path)))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"settings file {settings_path.name} is not valid TOML: {exc}") from exc
    problems = settings_problems(changes, shipped)
    if problems:
        raise ValueError(f"settings file {settings_path.name}: " + "; ".join(problems)
                         + ". The shipped pipelines/settings.toml lists every setting.")
    return _overlay(shipped, changes)


@dataclass(frozen=True)
class PathSettings:
    """Locations resolved from the environment once, when the code location loads."""

    inbox_dir: str
    warehouse_path: str
    reports_dir: str
    models_dir: str = ""
    as_of: str = ""
    settings_file: str = ""
    column_aliases_file: str = ""
    run_lock_timeout_minutes: float = 240.0
    backups_kept: int = 7
    backup_dir: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def resolved_models_dir(self) -> str:
        """The models folder: CRM_MODELS_DIR, else ``models/`` beside the warehouse file."""
        return self.models_dir or str(Path(self.warehouse_path).parent / "models")

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> PathSettings:
        env = os.environ if environ is None else environ
        return cls(
            inbox_dir=env.get("CRM_INBOX_DIR", "data/inbox"),
            warehouse_path=env.get("CRM_WAREHOUSE_PATH", "data/warehouse.duckdb"),
            reports_dir=env.get("CRM_REPORTS_DIR", "data/reports"),
            models_dir=env.get("CRM_MODELS_DIR", ""),
            as_of=env.get("CRM_AS_OF", ""),
            settings_file=env.get("CRM_SETTINGS_FILE", ""),
            column_aliases_file=env.get("CRM_COLUMN_ALIASES", ""),
            run_lock_timeout_minutes=float(env.get("CRM_RUN_LOCK_TIMEOUT") or 240),
            backups_kept=int(env.get("CRM_BACKUPS_KEEP") or 7),
            backup_dir=env.get("CRM_BACKUP_DIR", ""),
        )
