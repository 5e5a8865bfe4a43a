"""Layers that only point down: assets/common imports nothing above it; assets import neither checks,
reports nor the code location; checks do not import reports; nothing Dagster loads imports the
developer tools (pipelines/tools); the code location finds every definition without a list."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# package folder -> top-level packages it must not import
FORBIDDEN = {
    "assets/common": ("assets.", "checks", "reports", "pipelines"),
    "assets": ("checks", "reports", "pipelines"),
    "checks": ("reports", "pipelines"),
    "reports": ("pipelines",),
    "pipelines": ("pipelines.tools",),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _forbidden(name: str, prefixes: tuple[str, ...]) -> bool:
    """``assets.`` stands for any assets module outside assets.common; other prefixes are packages."""
    for prefix in prefixes:
        if prefix == "assets.":
            if name.startswith("assets.") and not name.startswith("assets.common"):
                return True
        elif name == prefix or name.startswith(f"{prefix}."):
            return True
    return False


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if folder == "assets" and relative.startswith("assets/common/"):
            continue  # checked on its own, with its own rule
        if folder == "pipelines" and relative.startswith("pipelines/tools/"):
            continue  # the tools may use anything
        found += [f"{relative} imports {name}" for name in _imports(path) if _forbidden(name, forbidden)]
    return found


def test_imports_only_point_down():
    problems = [v for folder, forbidden in FORBIDDEN.items() for v in _violations(folder, forbidden)]
    assert not problems, "\n".join(problems)


def test_the_code_location_finds_every_asset_and_check_of_the_packages():
    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, defs

    keys = [k for a in ALL_ASSETS for k in a.keys]
    assert len(keys) == len(set(keys))
    layers = {k.path[0] for k in keys}
    assert layers == {"raw", "staging", "core", "analytics", "quality", "reports", "operations"}
    check_keys = [k for c in ALL_CHECKS for k in c.check_keys]
    assert len(check_keys) == len(set(check_keys))
    # a status check on every report and every degrading prediction, and the GX suites on staging
    names = {k.name for k in check_keys}
    assert {"management_built_as_configured", "churn_scores_built_as_configured", "clv_built_as_configured"} <= names
    assert any(n == "gx_blocking" for n in names)
    defs.get_repository_def()  # Dagster accepts the whole graph
