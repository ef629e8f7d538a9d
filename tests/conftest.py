import os
from pathlib import Path

import pytest

from .skip_policy import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401  (hooks)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"  # OASIS's schema (tests/data/README.md)


def pytest_addoption(parser):
    parser.addoption("--snapshot-update", action="store_true",
                     help="write the fixtures' snapshots (fixtures/**/*.snap) instead of comparing them")


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder so no repository config applies."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli_runner():
    """A click CliRunner whose result has `stdout` and `stderr` apart, with click 8.1 (mix_stderr) and 8.2+."""
    import inspect

    from click.testing import CliRunner

    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # click < 8.2 mixes them by default
        return CliRunner(mix_stderr=False)
    return CliRunner()


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "soak", max_examples=25_000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
