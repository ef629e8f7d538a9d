"""CI runs every test: with CONNLINT_CI_NO_SKIPS=1 (set by .ci/run) a skipped test is reported as failed.

Every skip in this suite waits for something CI has (a package index, Linux's /proc, a pseudo-terminal,
the test extras): in CI, a skip means a check silently did not run. Outside CI a skip stays a skip, and
`-rs` (pyproject's addopts) prints its reason in the summary. Strict xfails are not skips.
"""

from __future__ import annotations

import os

import pytest

ENV = "CONNLINT_CI_NO_SKIPS"


def _enforced() -> bool:
    return os.environ.get(ENV) == "1"


def _fail_skip(report) -> None:
    if _enforced() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped, but {ENV}=1 (CI) allows no skip: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_skip(outcome.get_result())
