"""Syntax newer than the parsers: linted whole (Go's `new(expr)` is bridged) or named in a note; real errors stay CL000."""

from __future__ import annotations

import json
import sys
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from connlint.frontends import go

from .conftest import REPO, write
from .test_cli import connlint

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

GO_126 = """package main

import (
	"net/http"
	"time"
)

func handler(w http.ResponseWriter, r *http.Request) {
	started, limit := new(time.Now()), new(len(r.URL.Path)+1)
	_, _ = started, limit
	w.Header().Set("Connection", "close")
}

func main() {
	timeout, srv := new(5*time.Second), &http.Server{Addr: ":8080", ReadHeaderTimeout: *new(time.Second)}
	_ = timeout
	backup := new(http.Server)
	go backup.ListenAndServe()
	srv.ListenAndServe()
}
"""


def _found(proc) -> list[tuple[str, int, int]]:
    return [(d["code"], d["location"]["line"], d["location"]["column"]) for d in json.loads(proc.stdout)]


# ---- Go -----------------------------------------------------------------------------------

def test_go_new_expression_is_linted_whole_with_exact_positions(in_tmp):
    write(in_tmp, "main.go", GO_126)
    proc = connlint("--format", "json", cwd=in_tmp)
    assert proc.returncode == 1, proc.stderr
    # CL301 on line 15 sits after a bridged `new(...)`; `new(http.Server)` (a type) is still a server
    assert _found(proc) == [("CL101", 11, 2), ("CL301", 15, 39), ("CL301", 17, 12), ("CL302", 17, 12)]


def test_go_new_expression_alone_exits_0(in_tmp):
    write(in_tmp, "main.go", 'package main\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n'
          '\tdefer r.Body.Close()\n\tn := new(len(r.URL.Path))\n\tw.Header().Set("Connection", "keep-alive")\n'
          '\t_ = n\n}\n')  # `Close` and `Connection`: the rules' words, so the file is parsed
    proc = connlint(cwd=in_tmp)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "No problems found in 1 file.\n", "")


GO_CONSTRUCTS = {
    "range over int (1.22)": "func f() {\n\tfor i := range 10 {\n\t\t_ = i\n\t}\n\tfor range 3 {\n\t}\n}\n",
    "range over func (1.23)": "func f(seq iter.Seq2[int, string]) {\n\tfor k, v := range seq {\n\t\t_, _ = k, v\n\t}\n}\n",
    "generic type alias (1.24)": "type Set[K comparable] = map[K]struct{}\n\nfunc f() {\n\ttype L[T any] = []T\n}\n",
    "new(call) (1.26)": "func f() {\n\tp := new(e.crc.Sum32())\n\t_ = p\n}\n",
    "new(literal) (1.26)": 'func f() {\n\ta, b, c, d := new(42), new("x"), new(1.5), new(\'x\')\n\t_, _, _, _ = a, b, c, d\n}\n',
    "new(operator) (1.26)": "func f() {\n\ta, b, c := new(-1), new(x == y), new(g()+1)\n\t_, _, _ = a, b, c\n}\n",
    "new(composite) (1.26)": "var c = Config{Timeout: new(30 * time.Second), Names: new([]string{\"a\"})}\n",
    "new in arguments (1.26)": 'func f() {\n\tg(new("x"), new(1), new(T[int]{}))\n}\n',
    "new(conversion) (1.26)": "func f() {\n\tp := new(int64(300))\n\t_ = p\n}\n",
    "new shadowed (any Go)": "func f() {\n\tnew := func(n int) *int { return &n }\n\t_ = new(5)\n}\n",
}


@pytest.mark.parametrize("source", GO_CONSTRUCTS.values(), ids=GO_CONSTRUCTS.keys())
def test_go_122_to_126_syntax_parses(source):
    assert not go.parse("x.go", ("package p\n\n" + source).encode()).root.has_error


def test_go_real_syntax_errors_stay_cl000_beside_new_expression(in_tmp):
    write(in_tmp, "main.go", GO_126 + "\nfunc broken( {\n")
    write(in_tmp, "arg.go", 'package main\n\nimport "net/http"\n\nfunc h(w http.ResponseWriter) {\n'
          '\tw.Header().Set("Connection", "close")\n\tp := new(1 +)\n}\n')
    proc = connlint("--format", "json", cwd=in_tmp)
    found = [(d["path"], d["code"], d["location"]["line"], d["location"]["column"]) for d in json.loads(proc.stdout)]
    assert proc.returncode == 1
    assert [f for f in found if f[1] == "CL000"] == [("arg.go", "CL000", 7, 10), ("main.go", "CL000", 22, 1)]
    assert ("main.go", "CL101", 11, 2) in found and ("arg.go", "CL101", 6, 2) in found


# ---- Python -------------------------------------------------------------------------------

CLOSE = 'resp.headers["Connection"] = "close"\n'
PY_CONSTRUCTS = {
    "PEP 695 type statement": "type Pair[T] = tuple[T, T]\n",
    "PEP 695 generic def and class": "def first[T](xs: list[T]) -> T:\n    return xs[0]\n\n\nclass Box[T: int, *Ts, **P]:\n    pass\n",
    "PEP 696 type parameter defaults": "class Box[T = int]:\n    pass\n",
    "PEP 701 nested quotes": 'x = f"{d["k"]}"\n',
    "PEP 701 comment in a multi-line field": 'x = f"{\n    d["k"]  # why\n}"\n',
    "PEP 701 backslash in a field": 'x = f"{"\\n".join(d)}"\n',
    "PEP 758 except without parentheses": "try:\n    pass\nexcept ValueError, TypeError:\n    pass\n",
    "PEP 758 except* without parentheses": "try:\n    pass\nexcept* ValueError, TypeError:\n    pass\n",
    "PEP 750 t-strings": 'x = t"{name!r:>10}" + Rt"\\d{n}"\n',
}


@pytest.mark.parametrize("source", PY_CONSTRUCTS.values(), ids=PY_CONSTRUCTS.keys())
def test_python_312_to_314_syntax_is_linted(in_tmp, source):
    write(in_tmp, "app.py", source + CLOSE)
    proc = connlint("--format", "json", cwd=in_tmp)
    assert proc.returncode == 1, proc.stderr
    assert _found(proc) == [("CL101", source.count("\n") + 1, 1)]


def test_dependency_floors_parse_the_newer_syntax():
    """libcst 1.8.2 rejects `except A, B:` and every t-string; tree-sitter-go 0.23 generic type aliases."""
    floors = {}
    for line in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        floors[requirement.name] = min(Version(s.version) for s in requirement.specifier if s.operator == ">=")
    assert floors["libcst"] >= Version("1.8.4")
    assert floors["tree-sitter-go"] >= Version("0.25") and floors["tree-sitter"] >= Version("0.25")


def _note(path: str, line: int, construct: str) -> str:
    return (f"connlint: note: {path}:{line}: uses {construct} (Python 3.14, PEP 750), which libcst "
            f"{version('libcst')} cannot parse yet; file not linted\n")


def test_t_string_forms_libcst_cannot_parse_are_a_note_once(in_tmp):
    write(in_tmp, "prefix.py", 'x = tr"\\d{n}"\ny = TR"{n}"\n' + CLOSE)
    write(in_tmp, "concat.py", "# we can't\"\nx = (t\"<p>\"\n     t\"{n}</p>\")\ny = Tr\"{n}\"\n" + CLOSE)
    proc = connlint(cwd=in_tmp)
    assert (proc.returncode, proc.stdout) == (0, "No problems found in 2 files.\n")
    assert proc.stderr == (
        _note("concat.py", 2, "implicitly concatenated t-strings and the t-string prefix `Tr`")
        + _note("prefix.py", 1, "the t-string prefix `tr`")
    )


def test_real_python_errors_stay_cl000_beside_t_strings(in_tmp):
    write(in_tmp, "broken.py", 'x = tr"{n}"\n' + CLOSE + "def f(:\n    pass\n")
    write(in_tmp, "mixed.py", 'x = "<p>" t"{n}"\n' + CLOSE)
    proc = connlint(cwd=in_tmp)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[:2] == [
        "broken.py:3:7: CL000 error: syntax error: invalid syntax",
        "mixed.py:1:5: CL000 error: syntax error: cannot mix t-string literals with string or bytes literals",
    ]
    assert proc.stderr == ""


def test_t_string_concatenated_with_str_holds_no_str(in_tmp):
    write(in_tmp, "app.py", 'resp.headers["Connection"] = t"clo" "se"\n' + CLOSE)
    proc = connlint("--format", "json", cwd=in_tmp)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert _found(proc) == [("CL101", 2, 1)]
