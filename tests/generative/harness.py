"""Running the real pipeline code on a drawn inbox, fast, and the invariants every run must hold.

Fast path: every asset of raw, staging, core, analytics and quality is invoked directly (Dagster
direct invocation) in topological order on a temporary warehouse, and after each asset its blocking
checks are invoked the same way. This skips `dagster.materialize`'s per-step machinery (about
0.25 s a step, 60 steps) while running exactly the asset and check functions a run executes.
Two things keep it fast without changing what runs:

- one Dagster instance for the whole session: without a context, direct invocation builds an
  ephemeral instance (a SQLite database with migrations) for every call;
- the example's warehouse held open while its assets run, as a Dagster run holds it
  (``RunWarehouse.held_open``: each asset's `Warehouse.connect` is a cursor of the open file
  instead of opening it again, about 25 ms, 80 times per example), and one idle connection on it
  until its invariants are read; as the warehouse is thrown away, it is closed without a final
  checkpoint.

Command-line path: `python -m pipelines run`, exactly as a user runs it (see test_command_line.py).
"""

from __future__ import annotations

import graphlib
import inspect
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetsDefinition, DagsterInstance, build_asset_context

from assets.common.as_of import resolve_as_of
from assets.common.resources import PipelineSettings, RunWarehouse, Warehouse
from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
from tests.generative.inbox_files import WrittenInbox


def _toposorted(assets: list[AssetsDefinition]) -> list[AssetsDefinition]:
    """The assets in an order where every asset comes after the assets it depends on (ties in the
    order of ``pipelines.definitions``)."""
    owner = {key: index for index, definition in enumerate(assets) for key in definition.keys}
    graph = graphlib.TopologicalSorter()
    for index, definition in enumerate(assets):
        upstream = {owner[dep.asset_key] for spec in definition.specs for dep in spec.deps
                    if dep.asset_key in owner} - {index}
        graph.add(index, *sorted(upstream))
    graph.prepare()
    ordered: list[int] = []
    while graph.is_active():
        ready = sorted(graph.get_ready())
        ordered.extend(ready)
        graph.done(*ready)
    return [assets[i] for i in ordered]


# The reports (and the warehouse snapshot after them) are the command-line examples' part.
AFTER_THE_DATA = ("reports", "operations")
PIPELINE_ASSETS = _toposorted([a for a in ALL_ASSETS if not any(k.path[0] in AFTER_THE_DATA for k in a.keys)])
BLOCKING_CHECKS = [c for c in ALL_CHECKS if any(spec.blocking for spec in c.check_specs)]


def schedule(assets: list[AssetsDefinition], checks: list) -> list[tuple[AssetsDefinition, list]]:
    """Each asset with the checks to run right after it: a check runs after the last of its asset
    and its additional dependencies (as Dagster runs it); checks on assets not in ``assets`` are left out."""
    position = {key: index for index, definition in enumerate(assets) for key in definition.keys}
    after: list[list] = [[] for _ in assets]
    for check in checks:
        needed = {spec.asset_key for spec in check.check_specs} | {
            dep.asset_key for spec in check.check_specs for dep in spec.additional_deps}
        if any(spec.asset_key in position for spec in check.check_specs):
            after[max(position.get(key, -1) for key in needed)].append(check)
    return list(zip(assets, after, strict=True))


PLAIN_EXPORT_KIND = "sales_order_lines"


def _is_sales_free_source(definition: AssetsDefinition) -> bool:
    """A raw or staging asset of an export kind a plain sales export never has (CRM, service, e-mail)."""
    return all(k.path[0] in ("raw", "staging") and k.path[-1] != PLAIN_EXPORT_KIND for k in definition.keys)


TEMPLATE_ASSETS = [a for a in PIPELINE_ASSETS if _is_sales_free_source(a)]
EXAMPLE_ASSETS = [a for a in PIPELINE_ASSETS if not _is_sales_free_source(a)]


@dataclass
class FastRun:
    """What a direct run of every asset produced: the warehouse (and the connection held open on
    it until the next example starts), the as-of date, failed checks."""

    warehouse_path: Path
    held: duckdb.DuckDBPyConnection
    as_of: date
    failed_checks: list[str] = field(default_factory=list)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self.held.cursor()
        try:
            yield cursor
        finally:
            cursor.close()


def _invoke(definition, context, warehouse: Warehouse, settings: PipelineSettings) -> list:
    """Call the asset's or check's own function with the resources it asks for; a generator
    (multi-asset) is run to its end.

    The function is called as written (``decorated_fn``), not through Dagster's direct invocation:
    that re-validates and re-initialises every resource on every call (about 0.4 s an example), and
    the functions use nothing of the context but its logger. Dagster's own execution is exercised
    by the command-line examples (test_command_line.py) and the rest of the suite."""
    function = definition.op.compute_fn.decorated_fn
    parameters = inspect.signature(function).parameters
    arguments = {name: value for name, value in (("warehouse", warehouse), ("settings", settings))
                 if name in parameters}
    result = function(context, **arguments) if "context" in parameters else function(**arguments)
    return list(result) if inspect.isgenerator(result) else [result]


class FastPipeline:
    """Runs the pipeline's asset and check functions directly on one example after another.

    The raw and staging assets of the seven export kinds a plain export never has (CRM, service,
    e-mail) see the same empty folders in every example: they run once, into a template warehouse
    (with their blocking checks), and each example starts from a copy of it. Everything that reads
    the sales export (its raw and staging assets, all of core, analytics and quality) runs per example.
    """

    def __init__(self, workdir: Path, checks: list = BLOCKING_CHECKS) -> None:
        self.workdir = workdir
        self.steps = schedule(EXAMPLE_ASSETS, checks)
        self.instance = DagsterInstance.ephemeral()
        self._held: duckdb.DuckDBPyConnection | None = None
        empty = workdir / "empty-inbox"
        empty.mkdir(parents=True, exist_ok=True)
        self.template = workdir / "template.duckdb"
        failed = self._run(schedule(TEMPLATE_ASSETS, checks), self.template, self._settings(empty, workdir, "", ""))
        assert not failed, f"blocking checks failed on the empty sources: {failed}"

    def _settings(self, inbox: Path, workdir: Path, as_of: str, settings_file: str) -> PipelineSettings:
        return PipelineSettings(inbox_dir=str(inbox), reports_dir=str(workdir / "reports"),
                                models_dir=str(workdir / "models"), as_of=as_of, settings_file=settings_file)

    def _run(self, steps: list[tuple[AssetsDefinition, list]], warehouse_path: Path, settings: PipelineSettings,
             held: duckdb.DuckDBPyConnection | None = None) -> list[str]:
        """Run the steps on the warehouse; ``held`` (else a connection of its own) keeps it open."""
        warehouse = RunWarehouse(path=str(warehouse_path), threads=1, lock_timeout_seconds=0)
        failed: list[str] = []
        keep_open = held or duckdb.connect(str(warehouse_path))
        context = build_asset_context(instance=self.instance)
        try:
            with warehouse.held_open():
                for definition, checks in steps:
                    _invoke(definition, context, warehouse, settings)
                    failed += self._failed_blocking_checks(checks, context, warehouse, settings)
        finally:
            if held is None:
                keep_open.close()
        return failed

    @staticmethod
    def _failed_blocking_checks(checks: list, context, warehouse: Warehouse, settings: PipelineSettings) -> list[str]:
        failed = []
        for check in checks:
            for result in _invoke(check, context, warehouse, settings):
                # warnings (a degraded prediction, say) are allowed; errors are not
                if (isinstance(result, AssetCheckResult) and not result.passed
                        and result.severity == AssetCheckSeverity.ERROR):
                    spec = next(iter(check.check_specs))
                    failed.append(f"{spec.asset_key.to_user_string()} {spec.name}: "
                                  f"{result.description or result.metadata}")
        return failed

    def run(self, inbox: WrittenInbox, workdir: Path) -> FastRun:
        """Build every table from ``inbox`` in ``workdir`` (warehouse, models) and run the blocking
        checks after their asset; exceptions propagate (a crash fails the example)."""
        self.release()
        warehouse_path = workdir / "warehouse.duckdb"
        shutil.copyfile(self.template, warehouse_path)
        settings = self._settings(inbox.inbox_dir, workdir, inbox.as_of, inbox.settings_file)
        held = duckdb.connect(str(warehouse_path))
        held.execute("PRAGMA disable_checkpoint_on_shutdown")
        self._held = held
        failed = self._run(self.steps, warehouse_path, settings, held)
        as_of = resolve_as_of(held.cursor(), settings.as_of_date())
        return FastRun(warehouse_path, held, as_of, failed)

    def release(self) -> None:
        """Close the connection held on the last example's warehouse (no checkpoint: it is thrown away)."""
        if self._held is not None:
            self._held.close()
            self._held = None
