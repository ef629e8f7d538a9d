"""JUnit XML for CI test-report views: one testsuite, findings as failed testcases.

Without the list of files checked there is a testcase per finding (classname the path, name the
code, rule and position), and a clean run is a single passing testcase `connlint`. Given `files`, the
paths checked, there is a testcase per file instead: passing, or failed with every finding of the
file in its text. Text is escaped by xml.etree; characters XML 1.0 cannot hold at all (control
characters, undecodable bytes of a file name) are written as `\\x1b`, `\\xff`...

Options:
    files  Iterable of the paths checked (as in Finding.path): a testcase per file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Iterable

from ..findings import Finding, Report
from .common import escape_char

NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(report: Report, *, files: Iterable[str] | None = None, **_: object) -> str:
    suites = ET.Element("testsuites", name="connlint")
    suite = ET.SubElement(suites, "testsuite", name="connlint")
    if files is not None:
        cases = _per_file(suite, report, files)
    else:
        cases = _per_finding(suite, report)
    failures = sum(1 for case in suite if case.find("failure") is not None)
    for element in (suites, suite):
        element.set("tests", str(cases))
        element.set("failures", str(failures))
        element.set("errors", "0")
    suite.set("skipped", "0")
    ET.indent(suites, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _per_finding(suite: ET.Element, report: Report) -> int:
    for f in report.findings:
        case = _case(suite, f"{f.code} {f.name} at {f.line}:{f.col}", f.path)
        case.set("line", str(f.line))
        failure = ET.SubElement(case, "failure", message=_xml(f.message), type=f.code)
        failure.text = _xml(_line(f))
    if not report.findings:
        case = _case(suite, "connlint", None)
        files = report.files_checked
        ET.SubElement(case, "system-out").text = f"No problems found in {files} file{'s' if files != 1 else ''}."
        return 1
    return len(report.findings)


def _per_file(suite: ET.Element, report: Report, files: Iterable[str]) -> int:
    by_path: dict[str, list[Finding]] = {path: [] for path in files}
    for f in report.findings:
        by_path.setdefault(f.path, []).append(f)
    for path in sorted(by_path):
        case = _case(suite, path, path)
        found = by_path[path]
        if found:
            count = len(found)
            failure = ET.SubElement(case, "failure", message=f"{count} problem{'s' if count != 1 else ''}",
                                    type=",".join(sorted({f.code for f in found})))
            failure.text = _xml("\n".join(_line(f) for f in found))
    return len(by_path)


def _case(suite: ET.Element, name: str, path: str | None) -> ET.Element:
    if path is None:
        return ET.SubElement(suite, "testcase", name=name, classname=name)
    return ET.SubElement(suite, "testcase", name=_xml(name), classname=_xml(path), file=_xml(path))


def _line(f: Finding) -> str:
    return f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}"


def _xml(text: str) -> str:
    return NOT_XML.sub(escape_char, text)
