"""Running a suite of ``checks.staging.suites`` with Great Expectations 1.x on a staging table.

GX 1.x cannot validate a DuckDB table through its SQL datasource (``IndexError`` in
``resolve_metric_bundle``, GX issues #10738 and #11579), so the table's needed columns are read
from DuckDB into a pandas frame and validated with GX's pandas datasource in an ephemeral context.

GX is imported on first use, never at module import: it takes about 4 s, and the Dagster code
location must load fast. Analytics and progress bars are switched off so run logs stay readable.

Speed (measured figures in ``checks/staging/gx_checks.py``): about 3 s per million rows for the two
checks of a table, reading included. What keeps GX fast enough for the 20M-row sales table:

- only the columns the expectations name are read (the column-set expectation runs on a zero-row
  frame holding every column);
- timestamps are handed over as ``datetime64[ns]``: GX 1.24 compares only nanosecond datetimes
  vectorised, the ``datetime64[us]`` DuckDB produces falls back to one Python call per row (8 s
  instead of 0.4 s per 2M rows for one date expectation);
- GX's batch fingerprint (an md5 over the whole frame, about 1 s per 2M rows with text columns,
  used for nothing here) is switched off.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb

from checks.common.results import SAMPLE_LIMIT, Outcome, masked_samples
from checks.staging.suites import Expectation

_GX_TUNED = False


def _gx():
    """Import GX with analytics off and its batch fingerprinting disabled (see module docstring)."""
    global _GX_TUNED
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # before the import: GX reads it then
    import great_expectations as gx

    if not _GX_TUNED:
        from great_expectations.execution_engine import pandas_execution_engine

        if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
            pandas_execution_engine.HASH_THRESHOLD = 0  # GX fingerprints frames smaller than this: none
        _GX_TUNED = True
    return gx


@dataclass(frozen=True)
class Frames:
    """What one check reads from DuckDB: the needed columns of every row, and the table's columns."""

    rows: Any  # pandas.DataFrame with the columns the "rows" expectations name
    schema: Any  # zero-row pandas.DataFrame with every column of the table
    row_count: int
    read_seconds: float


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_frames(conn: duckdb.DuckDBPyConnection, table: str, expectations: Sequence[Expectation]) -> Frames:
    """Read only the columns the expectations need (the ones that exist: a missing column is reported
    by the expectations naming it, not as a SQL error), plus a zero-row frame of every column."""
    started = time.perf_counter()
    existing = [r[0] for r in conn.execute(f"DESCRIBE {table}").fetchall()]
    needed = list(dict.fromkeys(c for e in expectations if e.scope == "rows" for c in e.columns if c in existing))
    schema = conn.execute(f"SELECT * FROM {table} LIMIT 0").df()
    if needed:
        rows = conn.execute(f"SELECT {', '.join(_quote(c) for c in needed)} FROM {table}").df()
        row_count = len(rows)
    else:
        rows = schema.iloc[:, :0]
        row_count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    _nanosecond_timestamps(rows)
    return Frames(rows=rows, schema=schema, row_count=row_count, read_seconds=time.perf_counter() - started)


def _nanosecond_timestamps(frame: Any) -> None:
    """Convert datetime64[us] columns to [ns] in place, so GX compares them vectorised. A date outside
    the nanosecond range (years before 1678 or after 2261) keeps the column as it is: still correct,
    only slower."""
    import pandas as pd

    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_dtype(dtype) and not pd.api.types.is_datetime64_ns_dtype(dtype):
            with contextlib.suppress(OverflowError, pd.errors.OutOfBoundsDatetime):
                frame[column] = frame[column].astype("datetime64[ns]")


@lru_cache(maxsize=1)
def _whole_frame_batches() -> Any:
    """The batch definition every suite is validated through: one ephemeral GX context, pandas
    datasource and dataframe asset per process. Building them costs GX more than validating a small
    table (it serialises its whole configuration on every ``add_*``), so they are built once; nothing
    of a validation is stored in them."""
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole frame")
    )


def _run_suite(frame: Any, expectations: Sequence[Expectation], parameters: Mapping[str, Any]) -> list[Any]:
    """Validate one frame against expectations; results in suite order."""
    gx = _gx()
    import great_expectations.expectations as gxe

    batches = _whole_frame_batches()
    batch = batches.get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(
        name="suite",
        expectations=[
            getattr(gxe, e.gx_type)(**e.kwargs, meta={**e.meta, "position": i}) for i, e in enumerate(expectations)
        ],
    )
    # Batch.validate, not a stored ValidationDefinition: the same validation without saving the suite,
    # the definition and the result in the (throw-away) context's stores, a third of GX's time on small tables.
    result = batch.validate(
        suite,
        expectation_parameters=dict(parameters),
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_LIMIT},
    )
    # GX keeps the last batch's data until the next one: hand it an empty frame, so a large table's
    # columns are not held in memory after its check.
    batches.get_batch(batch_parameters={"dataframe": frame.iloc[:0, :0]})
    return sorted(result.results, key=lambda r: r.expectation_config.meta["position"])


def _exception_message(result: Any) -> str | None:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "error")
    for value in info.values():  # GX 1.x may key exception info by metric id
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "error")
    return None


def _samples(expectation: Expectation, result: Mapping[str, Any]) -> tuple[str, ...]:
    if expectation.gx_type == "ExpectTableColumnsToMatchSet":
        mismatched = (result.get("details") or {}).get("mismatched") or {}
        return tuple(
            [f"missing: {c}" for c in mismatched.get("missing", [])]
            + [f"unexpected: {c}" for c in mismatched.get("unexpected", [])]
        )[:SAMPLE_LIMIT]
    if "partial_unexpected_list" not in result and "observed_value" in result:
        return (f"observed type: {result['observed_value']}",)
    counts = result.get("partial_unexpected_counts")
    if isinstance(counts, list) and counts and isinstance(counts[0], dict) and "value" in counts[0]:
        values = [c["value"] for c in counts]
    else:
        values = result.get("partial_unexpected_list") or []
    columns = expectation.columns
    if len(columns) > 1:  # compound keys and column pairs arrive as tuples: name their parts
        values = [dict(zip(columns, v, strict=True)) if isinstance(v, list | tuple) and len(v) == len(columns)
                  else v for v in values]
    return masked_samples(values, expectation.column_label)


def _outcome(expectation: Expectation, result: Any, row_count: int) -> Outcome:
    error = _exception_message(result)
    details = result.result or {}
    if error is not None:
        return Outcome(expectation.name, expectation.column_label, expectation.description, False,
                       element_count=row_count, samples=(f"error: {error.splitlines()[0][:200]}",))
    unexpected = details.get("unexpected_count")
    if expectation.gx_type == "ExpectTableColumnsToMatchSet":
        mismatched = (details.get("details") or {}).get("mismatched") or {}
        unexpected = len(mismatched.get("missing", [])) + len(mismatched.get("unexpected", []))
    percent = details.get("unexpected_percent")
    return Outcome(
        expectation=expectation.name,
        column=expectation.column_label,
        description=expectation.description,
        success=bool(result.success),
        element_count=details.get("element_count", row_count if expectation.scope == "rows" else None),
        unexpected_count=None if unexpected is None else int(unexpected),
        unexpected_percent=None if percent is None else float(percent),
        samples=() if result.success and not unexpected else _samples(expectation, details),
    )


def validate(frames: Frames, expectations: Sequence[Expectation], parameters: Mapping[str, Any]) -> list[Outcome]:
    """Validate the frames against the expectations: one GX run per scope, outcomes in suite order."""
    outcomes: dict[int, Outcome] = {}
    for scope, frame in (("schema", frames.schema), ("rows", frames.rows)):
        chosen = []
        for i, e in enumerate(expectations):
            if e.scope != scope:
                continue
            missing = [c for c in e.columns if c not in frame.columns]
            if missing:  # the table lost a column: the expectation fails without asking GX
                outcomes[i] = Outcome(e.name, e.column_label, e.description, False, element_count=frames.row_count,
                                      samples=tuple(f"column missing from the table: {c}" for c in missing))
            else:
                chosen.append((i, e))
        if not chosen:
            continue
        results = _run_suite(frame, [e for _, e in chosen], parameters)
        for (i, expectation), result in zip(chosen, results, strict=True):
            outcomes[i] = _outcome(expectation, result, frames.row_count)
    return [outcomes[i] for i in sorted(outcomes)]
