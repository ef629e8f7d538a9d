"""Inline suppressions are read from real comments only (never from strings or docstrings), cover the
lines a multi-line string or a `\\` continuation joins, and are placed where a comment is legal by
--add-noqa and the LSP quick fix (one helper: suppress.suppression_edits)."""

from __future__ import annotations

import ast
import sys

import pytest

from connlint import api, suppress
from connlint.config import Config

from .conftest import write
from .test_cli import connlint

PLAN = api.make_plan(Config())
FLASK = "from flask import Flask\napp = Flask(__name__)\ndef v(resp):\n"
CLOSE = '    resp.headers["Connection"] = "close"'
GO_HEAD = 'package main\n\nimport (\n\t"fmt"\n\t"net/http"\n)\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n'
GO_CLOSE = '\tw.Header().Set("Connection", "close")'


def found(language: str, text: str, name: str = "a") -> list[tuple[str, int]]:
    path = f"{name}.py" if language == "python" else f"{name}.go"
    result = api.lint_source(path, language, text.encode("utf-8"), PLAN)
    return [(f.code, f.line) for f in result.findings] + [("notice", n.line) for n in result.notices]


# ---- issue 11.3: only real comments count -------------------------------------------------------

def test_python_noqa_inside_a_string_does_not_suppress():
    assert found("python", FLASK + CLOSE + '; note = "# noqa: CL101"\n') == [("CL101", 4)]
    assert found("python", FLASK + CLOSE + "; note = '''\n# noqa: CL101'''\n") == [("CL101", 4)]


def test_python_docstring_noqa_is_no_unused_suppression():
    text = FLASK + '    """Docs show `# noqa: CL101` and `# noqa: CL999`."""\n' + CLOSE + "  # noqa: CL101\n"
    assert found("python", text) == []
    docstring_only = '"""Write `x = 1  # noqa: CL101` to silence it;\n# noqa: CL202 on its own line too."""\n'
    assert found("python", docstring_only) == []  # no rule needs this file: only the suppression check runs


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_python_positions_with_any_newline_bom_and_coding(newline):
    text = ("import os  # noqa: CL101\n" + FLASK + '    """\n    # noqa: CL101\n    """\n' + CLOSE
            + "  # noqa: CL101\n    x = 1  # noqa: CL101\n").replace("\n", newline)
    expected = [("CL002", 1, 12), ("CL002", 9, 12)]
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode()):
        assert [(f.code, f.line, f.col) for f in api.lint_source("a.py", "python", data, PLAN).findings] == expected
        no_rule = data.replace(b"Connection", b"Keep")  # no rule needs the file: the suppression check alone
        assert [(f.code, f.line, f.col) for f in api.lint_source("a.py", "python", no_rule, PLAN).findings] == [
            ("CL002", 1, 12), ("CL002", 8, 37), ("CL002", 9, 12)]
    if newline == "\r":
        return  # a coding cookie ended by a lone CR is not read (CL000), with or without suppressions
    latin = ("# -*- coding: latin-1 -*-\n" + FLASK + '    """\xe9 # noqa: CL101"""\n' + CLOSE
             + '  # noqa: CL101\n    x = "\xe9"  # noqa: CL101\n').replace("\n", newline)
    result = api.lint_source("a.py", "python", latin.encode("latin-1"), PLAN)
    assert [(f.code, f.line, f.col) for f in result.findings] == [("CL002", 7, 14)]


def test_go_directive_inside_strings_and_block_comments_does_not_suppress():
    interpreted = GO_HEAD + GO_CLOSE + '; fmt.Println("//connlint:ignore CL101 no")\n}\n'
    assert found("go", interpreted) == [("CL101", 9)]
    raw = GO_HEAD + '\tfmt.Println(`\n\t//connlint:ignore CL101 inside a raw string`)\n' + GO_CLOSE + "\n}\n"
    assert found("go", raw) == [("CL101", 11)]
    block = GO_HEAD + GO_CLOSE + " /* //connlint:ignore CL101 a block comment */\n}\n"
    assert found("go", block) == [("CL101", 9)]
    assert found("go", 'package p\n\nvar doc = `//connlint:ignore CL101 reason`\n') == []  # no CL002


def test_go_directive_in_comments_still_suppresses():
    text = GO_HEAD + GO_CLOSE + " //connlint:ignore CL101 proxy\n\t//connlint:ignore CL101 own line\n" + GO_CLOSE + "\n}\n"
    assert found("go", text) == []


# ---- where a suppression applies: the lines a string or continuation joins (ruff's rule) --------

def test_python_noqa_after_a_multiline_string_or_continuation_covers_its_first_line():
    after_string = FLASK + CLOSE + '; doc = """a\nb"""  # noqa: CL101\n'
    assert found("python", after_string) == []
    continued = FLASK + '    resp.headers["Connection"] = \\\n        "close"  # noqa: CL101\n'
    assert found("python", continued) == []
    fstring = FLASK + CLOSE + '; doc = f"""{resp}\n"""  # noqa: CL101\n'
    assert found("python", fstring) == []


def test_go_own_line_directive_covers_a_statement_spanning_a_raw_string():
    text = GO_HEAD + "\t//connlint:ignore CL101 reason\n" + '\tfmt.Println(`a\nb`); ' + GO_CLOSE.strip() + "\n}\n"
    assert found("go", text) == []


def test_pep701_fstring_that_this_python_cannot_tokenize():
    """3.12 f-strings reuse their quotes; Python 3.11's tokenizer ends them early. From that line on,
    `# noqa` text still silences (as before) but is never reported as unused."""
    text = FLASK + CLOSE + '; s = f"{resp.headers["A"]}"  # noqa: CL101\n    """# noqa: CL202"""\n'
    assert found("python", text) == []
    marks = suppress.scan("python", text)
    assert marks[4].codes == {"CL101"} and marks[4].column == 71
    assert marks[4].exact == (sys.version_info >= (3, 12))
    assert (5 in marks) == (sys.version_info < (3, 12))


# ---- issue 12.4: --add-noqa and the quick fix write comments only where they are legal ---------

PY_STRING_STATEMENT = FLASK + CLOSE + '; doc = """first\nsecond"""\n    return resp\n'
GO_RAW_STATEMENT = GO_HEAD + GO_CLOSE + "; fmt.Fprint(w, `first\n\tsecond`)\n}\n"


def _python_strings(text: str) -> list[str]:
    return [n.value for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_add_noqa_after_a_python_triple_quoted_string(in_tmp):
    write(in_tmp, "app.py", PY_STRING_STATEMENT)
    proc = connlint("--add-noqa", cwd=in_tmp)
    assert proc.stderr.startswith("connlint: added 1 "), proc.stderr
    text = (in_tmp / "app.py").read_text()
    assert text == PY_STRING_STATEMENT.replace('second"""\n', 'second"""  # noqa: CL101\n')
    assert _python_strings(text) == _python_strings(PY_STRING_STATEMENT)
    assert connlint(cwd=in_tmp).returncode == 0


def test_add_noqa_above_a_go_statement_with_a_raw_string(in_tmp):
    write(in_tmp, "main.go", GO_RAW_STATEMENT)
    assert connlint("--add-noqa", cwd=in_tmp).returncode == 0
    text = (in_tmp / "main.go").read_text()
    assert text == GO_RAW_STATEMENT.replace(GO_CLOSE + ";", "\t//connlint:ignore CL101 TODO: explain why\n" + GO_CLOSE + ";")
    proc = connlint("--format", "json", cwd=in_tmp)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout


def test_add_noqa_merges_codes_of_one_group_into_one_comment():
    text = FLASK + CLOSE + '; doc = """a\n' + 'b"""; resp.headers["Connection"] = "close"\n'
    edits, skipped = suppress.suppression_edits("python", text, {4: {"CL101"}, 5: {"CL102", "CL101"}})
    assert skipped == [] and [e[2] for e in edits] == ["  # noqa: CL101, CL102"]


def test_add_noqa_places_nothing_where_the_tokenizer_failed():
    text = 'x = 1\ny = """never closed\n'
    assert suppress.suppression_edits("python", text, {1: {"CL101"}, 2: {"CL101"}}) == (
        [(5, 5, "  # noqa: CL101")], [2])


def test_quick_fix_uses_the_same_placement():
    pytest.importorskip("pygls")
    from connlint.server import Document, suppression_edit

    for language, text, expected in [
        ("python", PY_STRING_STATEMENT, PY_STRING_STATEMENT.replace('second"""\n', 'second"""  # noqa: CL101\n')),
        ("go", GO_RAW_STATEMENT, GO_RAW_STATEMENT.replace(
            GO_CLOSE + ";", "\t//connlint:ignore CL101 TODO: reason\n" + GO_CLOSE + ";")),
    ]:
        document = Document(text, language)
        finding = next(f for f in api.lint_source(f"a.{language[:2]}", language, text.encode(), PLAN).findings)
        at, end, insert = suppression_edit(document, finding)
        fixed = text[:at] + insert + text[end:]
        assert fixed == expected
        assert api.lint_source(f"a.{language[:2]}", language, fixed.encode(), PLAN).findings == []
