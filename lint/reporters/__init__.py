"""Reporters: pure functions Report -> str, one module each, loaded only when used."""

from __future__ import annotations

import importlib

from ..findings import Report

# format name -> (module, function)
RENDERERS = {
    "text": ("text", "render"),
    "concise": ("text", "render"),
    "full": ("full", "render"),
    "json": ("json", "render"),
    "json-lines": ("json_lines", "render"),
    "sarif": ("sarif", "render"),
    "github": ("github", "render"),
    "gitlab": ("gitlab", "render"),
    "junit": ("junit", "render"),
}
FORMATS = tuple(RENDERERS)
COLOR_FORMATS = ("text", "concise", "full")  # the formats for people, coloured on a terminal


def render(fmt: str, report: Report, **options) -> str:
    """The report in format `fmt`; each reporter ignores the options it does not take."""
    try:
        module, function = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}") from None
    renderer = getattr(importlib.import_module(f".{module}", __name__), function)
    return renderer(report, **options)
