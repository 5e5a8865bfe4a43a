"""Hypothesis profiles and the session's fast pipeline for the generative tests.

Profiles (``HYPOTHESIS_PROFILE`` picks one; otherwise ``ci`` when the environment variable CI is
set, else ``dev``):

- ``ci``: deterministic. ``derandomize=True`` draws the same 200 examples on every run and
  ``database=None`` replays nothing from earlier runs, so a green CI run never depends on luck
  and a red one fails the same way when re-run. No shrinking (each example takes about a second;
  the failing example is printed as drawn, and ``dev`` shrinks it locally).
- ``dev``: random exploration, 200 examples, failures shrunk to a minimal inbox and remembered in
  the local example database (``.hypothesis/``) so the next run tries them first.
- ``deep``: ``dev`` with 2,000 examples, for a longer hunt (about an hour).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from pipelines.definitions import ALL_CHECKS
from tests.generative.harness import FastPipeline

_COMMON = {
    "deadline": None,  # an example runs the whole pipeline: a second or two, longer on a busy machine
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "max_examples": 200,
}
settings.register_profile(
    "ci", derandomize=True, database=None, print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON,
)
settings.register_profile("dev", **_COMMON)
settings.register_profile("deep", **{**_COMMON, "max_examples": 2000})
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def _scratch_parent() -> str | None:
    """A RAM-backed temporary folder when the machine has one: DuckDB syncs its write-ahead log to
    disk at every commit, which doubles an example's time on a disk-backed /tmp."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    """A temporary folder for the examples' inboxes and warehouses, removed after the session."""
    root = Path(tempfile.mkdtemp(prefix="crm-generative-", dir=_scratch_parent()))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def fast_pipeline(scratch: Path) -> Iterator[FastPipeline]:
    pipeline = FastPipeline(scratch / "session")
    yield pipeline
    pipeline.release()


@pytest.fixture(scope="session")
def fully_checked_pipeline(scratch: Path) -> Iterator[FastPipeline]:
    """The fast pipeline running every check except the advisory Great Expectations suites (the
    invariant checks of core and analytics included, blocking or not): for the regression tests."""
    checks = [c for c in ALL_CHECKS if not any(spec.name == "gx_advisory" for spec in c.check_specs)]
    pipeline = FastPipeline(scratch / "fully-checked", checks)
    yield pipeline
    pipeline.release()
