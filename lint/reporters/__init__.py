"""Reporters: pure functions Report -> str."""

from __future__ import annotations

from typing import Callable

from ..findings import Report

FORMATS = ("text", "json", "sarif")


def render(fmt: str, report: Report, **options) -> str:
    renderer: Callable[..., str]
    if fmt == "text":
        from .text import render as renderer
    elif fmt == "json":
        from .json import render as renderer
    elif fmt == "sarif":
        from .sarif import render as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return renderer(report, **options)
