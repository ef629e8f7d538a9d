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
