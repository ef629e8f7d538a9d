"""Property-based: any bytes, any mutation of any fixture, any text -> findings or CL000, never a crash.

Default profile: a quick run. `pytest tests/test_properties.py --hypothesis-profile=soak` (4 tests x 25,000
inputs) is the long soak; its figures are in docs/reliability.md.
"""

from __future__ import annotations


from hypothesis import given
from hypothesis import strategies as st

from connlint import api
from connlint.config import Config

from .conftest import FIXTURES

PLAN = api.make_plan(Config(root=FIXTURES), prefilter=False)  # parse everything: the prefilter hides nothing here
FIXTURE_DATA = sorted(
    (p.suffix, p.read_bytes()) for p in FIXTURES.rglob("CL*") if p.suffix in (".py", ".go")
)
LANG = {".py": "python", ".go": "go"}


def check(suffix: str, data: bytes) -> None:
    result = api.lint_source(f"input{suffix}", LANG[suffix], data, PLAN)
    assert not result.errors, result.errors
    for finding in result.findings:
        assert finding.line >= 1 and finding.col >= 1
        assert (finding.end_line, finding.end_col) >= (finding.line, finding.col) or finding.code == "CL000"


@st.composite
def mutated_fixture(draw):
    suffix, data = draw(st.sampled_from(FIXTURE_DATA))
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not buf:
            break
        start = draw(st.integers(0, len(buf) - 1))
        length = draw(st.integers(1, 200))
        op = draw(st.sampled_from(["delete", "duplicate", "flip", "insert"]))
        if op == "delete":
            del buf[start:start + length]
        elif op == "duplicate":
            buf[start:start] = buf[start:start + length]
        elif op == "flip":
            buf[start] ^= 1 << draw(st.integers(0, 7))
        else:
            buf[start:start] = draw(st.binary(min_size=1, max_size=20))
    return suffix, bytes(buf)


@given(st.sampled_from([".py", ".go"]), st.binary(max_size=2000))
def test_random_bytes(suffix, data):
    check(suffix, data)


@given(mutated_fixture())
def test_mutated_fixtures(case):
    check(*case)


@given(st.sampled_from([".py", ".go"]), st.text(max_size=500))
def test_random_unicode(suffix, text):
    check(suffix, text.encode("utf-8", "surrogatepass"))


@given(st.sampled_from(FIXTURE_DATA), st.sampled_from([b"\r\n", b"\r", b"\n\n"]))
def test_line_ending_variants(case, newline):
    suffix, data = case
    check(suffix, data.replace(b"\n", newline))
