"""The Go semantic model: scopes and bindings, references and writes, types of values, calls."""

from __future__ import annotations

from connlint.frontends import go

SOURCE = b'''package svc

import (
	"net/http"
	"time"

	h "github.com/labstack/echo/v4"
)

const header = "Connection"

type server struct {
	monitoring *http.Server
	name       string
}

func newServer(addr string) *http.Server {
	return &http.Server{Addr: addr}
}

func (s *server) start() error {
	srv := newServer(":8080")
	s.monitoring = srv
	x := 1
	if x := 2; x > 1 {
		_ = x
	}
	x = x + 1
	for i, v := range []int{1} {
		_, _ = i, v
	}
	var idle time.Duration
	srv.IdleTimeout = idle
	go s.monitoring.ListenAndServe()
	e := h.New()
	e.Start(":1")
	http := "shadows the package"
	_ = http
	return srv.ListenAndServe()
}
'''


def _ident(f, text: str, nth: int = 0):
    hits = [n for n in f.captures("(identifier) @id")["id"] if f.text(n) == text]
    return sorted(hits, key=lambda n: n.start_byte)[nth]


def test_bindings_follow_the_scopes_of_the_language():
    f = go.parse("svc.go", SOURCE)
    model = f.model
    outer = model.resolve(_ident(f, "x", 0))
    inner = model.resolve(_ident(f, "x", 1))
    assert (outer.kind, inner.kind) == ("var", "var") and outer is not inner
    assert inner.scope.type == "if_statement" and outer.scope.type == "block"
    assert model.resolve(_ident(f, "x", 3)) is inner  # `_ = x` inside the if
    assert model.resolve(_ident(f, "x", 4)) is outer  # `x = x + 1` after it
    assert [f.text(stmt) for stmt, _ in outer.writes] == ["x = x + 1"]
    assert model.resolve(_ident(f, "i")).kind == "range"
    assert model.resolve(_ident(f, "header")).kind == "const"
    assert model.resolve(_ident(f, "header")).package_level
    assert model.resolve(_ident(f, "addr", 1)).kind == "param"
    assert model.resolve(_ident(f, "newServer", 1)).kind == "func"


def test_references_exclude_literal_keys_and_shadowing():
    f = go.parse("svc.go", SOURCE)
    model = f.model
    srv = model.resolve(_ident(f, "srv"))
    assert [(n.start_point[0] + 1, f.text(n.parent)) for n in model.references(srv)] == [
        (23, "srv"), (33, "srv.IdleTimeout"), (39, "srv.ListenAndServe")]
    addr = model.resolve(_ident(f, "addr"))
    assert len(model.references(addr)) == 1  # `Addr: addr`: the value, not the key


def test_types_of_values():
    f = go.parse("svc.go", SOURCE)
    model = f.model
    srv = _ident(f, "srv", 1)
    assert model.type_of(srv) == "*net/http.Server"  # through newServer's result
    monitoring = next(n for n in f.captures("(selector_expression) @s")["s"]
                      if f.text(n) == "s.monitoring" and n.parent.type == "selector_expression")
    assert model.type_of(monitoring) == "*net/http.Server"  # a field of a package struct
    assert model.type_of(_ident(f, "idle", 1)) == "time.Duration"


def test_calls_by_qualified_name():
    f = go.parse("svc.go", SOURCE)
    model = f.model
    assert [f.text(c) for c in model.calls("newServer")] == ['newServer(":8080")']
    assert [f.text(c) for c in model.calls("github.com/labstack/echo.New")] == ["h.New()"]
    assert [f.text(c) for c in model.calls("net/http.Server.ListenAndServe")] == [
        "s.monitoring.ListenAndServe()", "srv.ListenAndServe()"]
    assert model.calls("net/http.ListenAndServe") == []


def test_a_shadowed_package_name_is_not_the_package():
    f = go.parse("svc.go", SOURCE + b'''
func other() {
	http := client{}
	http.ListenAndServe()
}
''')
    assert f.model.calls("net/http.ListenAndServe") == []
    assert [f.text(c) for c in f.model.method_calls("ListenAndServe")][-1] == "http.ListenAndServe()"


def test_dot_imports_and_redeclaration():
    f = go.parse("d.go", b'''package d

import . "net/http"

func run() {
	srv, err := build()
	other, err := build()
	_, _ = srv, other
	ListenAndServe(":1", nil)
}
''')
    model = f.model
    assert model.dot_imports == ("net/http",)
    assert [f.text(c) for c in model.calls("net/http.ListenAndServe")] == ['ListenAndServe(":1", nil)']
    err = model.resolve(_ident(f, "err"))
    assert model.resolve(_ident(f, "err", 1)) is err and len(err.writes) == 1


def test_package_view_resolves_names_of_other_files(tmp_path):
    from connlint import packages

    (tmp_path / "consts.go").write_text('package svc\n\nconst hdr = "Connection"\n\ntype server struct{ srv *http.Server }\n')
    (tmp_path / "other_test.go").write_text('package svc\n\nconst hdr2 = "x"\n')
    (tmp_path / "foreign.go").write_text('package main\n\nconst elsewhere = 1\n')
    main = tmp_path / "main.go"
    main.write_bytes(b'package svc\n\nfunc f(s *server) {\n\tuse(hdr, hdr2, elsewhere)\n\ts.srv.Close()\n}\n')
    f = go.parse(str(main), main.read_bytes())
    packages.attach(f, str(main))
    model = f.model
    hdr = model.resolve(_ident(f, "hdr"))
    assert (hdr.kind, hdr.model.f.path, hdr.model.f.text(hdr.value)) == ("const", str(tmp_path / "consts.go"), '"Connection"')
    assert model.resolve(_ident(f, "hdr2")) is None  # declared in a test file
    assert model.resolve(_ident(f, "elsewhere")) is None  # another package's file in the folder
    assert [f.text(c) for c in model.calls("net/http.Server.Close")] == []  # consts.go does not import net/http
    before = packages.digest(str(main))
    (tmp_path / "consts.go").write_text('package svc\n\nconst hdr = "Keep-Alive"\n')
    assert packages.digest(str(main)) != before


def test_package_view_types_fields_declared_in_another_file(tmp_path):
    from connlint import packages

    (tmp_path / "types.go").write_text('package svc\n\nimport "net/http"\n\ntype server struct{ srv *http.Server }\n\n'
                                       'func build() *http.Server { return &http.Server{} }\n')
    main = tmp_path / "main.go"
    main.write_bytes(b'package svc\n\nfunc f(s *server) {\n\ts.srv.Close()\n\tb := build()\n\tb.Shutdown(nil)\n}\n')
    f = go.parse(str(main), main.read_bytes())
    packages.attach(f, str(main))
    assert [f.text(c) for c in f.model.calls("net/http.Server.Close")] == ["s.srv.Close()"]
    assert [f.text(c) for c in f.model.calls("net/http.Server.Shutdown")] == ["b.Shutdown(nil)"]
    assert [(m.f.path.endswith("main.go"), m.f.text(c)) for m, c in f.model.package.calls("build")] == [(True, "build()")]
