"""Finding every asset and asset check the packages define, so the code location assembles the
packages instead of hand-kept lists. Like Dagster's own loaders, a module-level definition or list
of definitions counts; unlike them, the definitions are returned as they are (not copied), so one
reachable from several modules (the reports import the lists of analytics assets they depend on)
counts once."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

from dagster import AssetChecksDefinition, AssetsDefinition


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    yield package
    for info in sorted(pkgutil.walk_packages(package.__path__, f"{package.__name__}."), key=lambda i: i.name):
        yield importlib.import_module(info.name)


def _defined(packages: tuple[ModuleType, ...], wanted: type) -> list:
    seen: set[int] = set()
    found = []
    for package in packages:
        for module in _modules(package):
            for name in sorted(vars(module)):
                value = vars(module)[name]
                candidates = value if isinstance(value, list) else [value]
                for candidate in candidates:
                    is_wanted = isinstance(candidate, wanted) and (
                        wanted is AssetChecksDefinition or not isinstance(candidate, AssetChecksDefinition))
                    if is_wanted and id(candidate) not in seen:
                        seen.add(id(candidate))
                        found.append(candidate)
    return found


def assets_in(*packages: ModuleType) -> list[AssetsDefinition]:
    """Every asset defined anywhere in ``packages`` (asset checks excluded), each once."""
    return _defined(packages, AssetsDefinition)


def checks_in(*packages: ModuleType) -> list[AssetChecksDefinition]:
    """Every asset check defined anywhere in ``packages``, each once."""
    return _defined(packages, AssetChecksDefinition)
