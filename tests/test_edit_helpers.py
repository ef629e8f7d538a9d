"""The frontends' edit helpers keep the layout a careful human (and gofmt / black) would leave."""

from __future__ import annotations

import libcst as cst

from connlint.findings import Edit
from connlint.frontends import go, python


def apply(text: str, edit: Edit | None) -> str:
    assert edit is not None
    return text[:edit.start] + edit.replacement + text[edit.end:]


def go_element(f: go.GoFile, key: str):
    literals = f.captures("(composite_literal) @l")["l"]
    return next(e for lit in literals for k, _, e in f.keyed_elements(lit) if k == key)


def delete_go_element(src: str, key: str) -> str:
    f = go.parse("x.go", src.encode())
    return apply(f.source_text, f.delete_element(go_element(f, key)))


def test_go_element_line_goes_and_neighbours_realign():
    src = (
        "package m\n\nvar t = &http.Transport{\n"
        "\tDisableKeepAlives: true,\n"
        "\tIdleConnTimeout:   90 * time.Second, // idle\n"
        "\tMaxIdleConns:      100,              // pool\n"
        "}\n"
    )
    assert delete_go_element(src, "DisableKeepAlives") == (
        "package m\n\nvar t = &http.Transport{\n"
        "\tIdleConnTimeout: 90 * time.Second, // idle\n"
        "\tMaxIdleConns:    100,              // pool\n"
        "}\n"
    )


def test_go_element_not_the_longest_key_changes_one_line_only():
    src = "package m\n\nvar t = T{\n\tA:          1,\n\tLongestKey: 2,\n\tBB:         3,\n}\n"
    assert delete_go_element(src, "A") == "package m\n\nvar t = T{\n\tLongestKey: 2,\n\tBB:         3,\n}\n"


def test_go_hand_aligned_rows_are_left_alone():
    src = "package m\n\nvar t = T{\n\tLongestKey: 1,\n\tA: 2,\n\tBB:    3,\n}\n"
    assert delete_go_element(src, "LongestKey") == "package m\n\nvar t = T{\n\tA: 2,\n\tBB:    3,\n}\n"


def test_go_only_element_leaves_empty_braces_and_the_outer_literal_realigns():
    src = (
        "package m\n\nvar c = &http.Client{\n"
        "\tTimeout: 10 * time.Second,\n"
        "\tTransport: &http.Transport{\n"
        "\t\tDisableKeepAlives: true,\n"
        "\t},\n"
        "}\n"
    )
    assert delete_go_element(src, "DisableKeepAlives") == (
        "package m\n\nvar c = &http.Client{\n"
        "\tTimeout:   10 * time.Second,\n"
        "\tTransport: &http.Transport{},\n"
        "}\n"
    )


def test_go_inline_element_last_on_its_line_leaves_no_trailing_space():
    src = "package m\n\nvar t = T{A: 1, B: 2,\n\tC: 3}\n"
    assert delete_go_element(src, "B") == "package m\n\nvar t = T{A: 1,\n\tC: 3}\n"


def delete_go_statement(src: str, needle: str) -> str:
    f = go.parse("x.go", src.encode())
    node = next(n for n in f.captures("(expression_statement) @s")["s"] if f.text(n) == needle)
    return apply(f.source_text, f.delete_statement(node))


def test_go_statement_between_blank_lines_leaves_one():
    src = "package m\n\nfunc f() {\n\ta()\n\n\tb()\n\n\tc()\n}\n"
    assert delete_go_statement(src, "b()") == "package m\n\nfunc f() {\n\ta()\n\n\tc()\n}\n"


def test_go_statement_last_in_block_takes_the_blank_line_before_it():
    src = "package m\n\nfunc f() {\n\ta()\n\n\tb()\n}\n"
    assert delete_go_statement(src, "b()") == "package m\n\nfunc f() {\n\ta()\n}\n"


def py_call(f: python.PythonFile) -> cst.Call:
    return next(c for c in f.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == "f")


def delete_py_arg(src: str, keyword: str) -> str:
    f = python.parse("x.py", src.encode())
    call = py_call(f)
    arg = next(a for a in call.args if a.keyword is not None and a.keyword.value == keyword)
    return apply(f.source_text, f.delete_from_list(call.args, arg))


def test_py_item_on_its_own_line_goes_with_its_comment_and_keeps_the_others():
    src = "f(\n    a=1,  # first\n    # about b\n    b=2,\n    c=3,\n)\n"
    assert delete_py_arg(src, "b") == "f(\n    a=1,  # first\n    # about b\n    c=3,\n)\n"
    assert delete_py_arg(src, "c") == "f(\n    a=1,  # first\n    # about b\n    b=2,\n)\n"
    assert delete_py_arg(src, "a") == "f(\n    # about b\n    b=2,\n    c=3,\n)\n"


def test_py_only_item_leaves_empty_brackets():
    assert delete_py_arg("f(\n    a=1,\n)\n", "a") == "f()\n"
    assert delete_py_arg("f(a=1)\n", "a") == "f()\n"


def test_py_inline_items():
    assert delete_py_arg("f(x, a=1, b=2)\n", "a") == "f(x, b=2)\n"
    assert delete_py_arg("f(x, a=1, b=2)\n", "b") == "f(x, a=1)\n"


def test_py_statement_between_blank_lines_leaves_the_longer_run():
    src = "def g():\n    a()\n\n    b()\n\n    c()\n"
    f = python.parse("x.py", src.encode())
    call = next(c for c in f.nodes(cst.Call) if f.source_text[slice(*f.span(c))] == "b()")
    assert apply(src, f.delete_statement(call)) == "def g():\n    a()\n\n    c()\n"
