"""`connlint server`: a Language Server (pygls) that lints open Python and Go documents as they change.

Diagnostics are published on open, change (debounced) and save; code actions offer each finding's fix
and a suppression comment. The configuration is found from each document's folder upward, as the CLI
finds it from the current folder. Works with pygls 1.3+ and 2.x.
"""

from __future__ import annotations

import asyncio
import bisect
import io
import os
import re
import sys
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from tokenize import detect_encoding
from urllib.parse import unquote

from lsprotocol import types as lsp

try:  # pygls 2
    from pygls.lsp.server import LanguageServer
except ImportError:  # pragma: no cover - pygls 1.x
    from pygls.server import LanguageServer
from pygls.uris import to_fs_path

from . import __version__, comments, suppress
from .api import Plan, lint_source, make_plan
from .config import CONFIG_FILES, Config, ConfigError, find_config_file, load
from .discovery import language_of
from .findings import Finding, Notice, Severity
from .registry import SYNTAX_ERROR, all_rules
from .reporters.common import printable
from .rpc import SKIPPED, BoundedReader, Protocol

DOCS_URL = "https://github.com/connlint/connlint/blob/main/README.md#{}"
SOURCE = "connlint"
DEBOUNCE_SECONDS = 0.15
SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.NOTE: lsp.DiagnosticSeverity.Information,
}
LANGUAGE_IDS = {"python": "python", "go": "go"}
LSP_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line terminators of the LSP specification
LINT_NEWLINE = {"python": comments.PY_NEWLINE, "go": comments.GO_NEWLINE}  # as connlint counts lines
SUPPRESSION_REASON = "TODO: reason"  # the placeholder reason of a Go directive the quick fix adds


def units(text: str, encoding: str) -> int:
    """The length of `text` in the negotiated position encoding (LSP's default: UTF-16 code units)."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class Document:
    """An open document's text as connlint lints it, and conversions between the two coordinate systems.

    connlint reports 1-based lines and code-point columns (lines counted as its frontends count them)
    and fix edits as code-point offsets into the text without its byte order mark; LSP wants 0-based
    lines split at CR, LF and CRLF and columns in the negotiated encoding.
    """

    def __init__(self, text: str, language: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.language = language
        self.encoding = encoding
        self.bom = 1 if text.startswith("\ufeff") else 0
        self.source = text[self.bom:]  # what connlint lints; fix offsets index it
        self._lint_starts = [0] + [m.end() for m in LINT_NEWLINE[language].finditer(self.source)]
        self._lsp_starts = [0] + [m.end() for m in LSP_NEWLINE.finditer(text)]

    def data(self) -> bytes:
        """The bytes a file with this text would hold (Python: in its PEP 263 encoding)."""
        encoding = "utf-8"
        if self.language == "python":
            try:
                encoding = detect_encoding(io.BytesIO(self.source.encode("utf-8", "surrogatepass")).readline)[0]
            except SyntaxError:  # an unknown or contradictory coding cookie: the parser reports it
                pass
        try:
            return self.source.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            return self.source.encode("utf-8", "surrogatepass")

    # ---- connlint coordinates -> offsets into self.text -------------------------------------
    def line_span(self, line: int) -> tuple[int, int]:
        """Offsets (into self.source) of a 1-based connlint line's content, without its terminator."""
        starts = self._lint_starts
        line = min(max(line, 1), len(starts))
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.source)
        while end > start and self.source[end - 1] in "\r\n":
            end -= 1
        return start, end

    def offset(self, line: int, col: int) -> int:
        if line > len(self._lint_starts):
            return len(self.text)
        start, end = self.line_span(line)
        return self.bom + min(start + max(col, 1) - 1, end)

    # ---- offsets into self.text <-> LSP positions -------------------------------------------
    def position(self, offset: int) -> lsp.Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[line]
        return lsp.Position(line=line, character=units(self.text[start:offset], self.encoding))

    def offset_at(self, position: lsp.Position) -> int:
        if position.line >= len(self._lsp_starts):
            return len(self.text)
        start = self._lsp_starts[position.line]
        end = self._lsp_starts[position.line + 1] if position.line + 1 < len(self._lsp_starts) else len(self.text)
        count = 0
        for index in range(start, end):
            char = self.text[index]
            if count >= position.character or char in "\r\n":
                return index
            count += units(char, self.encoding)
        return end

    def span(self, finding: Finding) -> tuple[int, int]:
        start = self.offset(finding.line, finding.col)
        return start, max(start, self.offset(finding.end_line, finding.end_col))

    def range(self, start: int, end: int) -> lsp.Range:
        return lsp.Range(start=self.position(start), end=self.position(end))


# ---- findings -> diagnostics and code actions ---------------------------------------------------
def diagnostic(document: Document, finding: Finding) -> lsp.Diagnostic:
    return lsp.Diagnostic(
        range=document.range(*document.span(finding)),
        message=finding.message,
        severity=SEVERITY.get(finding.severity, lsp.DiagnosticSeverity.Warning),
        code=finding.code,
        code_description=lsp.CodeDescription(href=DOCS_URL.format(finding.code.lower())),
        source=SOURCE,
    )


def notice_diagnostic(document: Document, notice: Notice) -> lsp.Diagnostic:
    """A notice about a line (an unknown code in a suppression comment), shown on that line."""
    start, end = document.line_span(notice.line)
    return lsp.Diagnostic(
        range=document.range(document.bom + start, document.bom + end),
        message=notice.message,
        severity=lsp.DiagnosticSeverity.Warning if notice.level == "warning" else lsp.DiagnosticSeverity.Information,
        source=SOURCE,
    )


def suppression_edit(document: Document, finding: Finding) -> tuple[int, int, str] | None:
    """(start, end, text) in self.text offsets silencing `finding`, placed as --add-noqa places it
    (suppress.suppression_edits); None when there is no safe place."""
    edits, _ = suppress.suppression_edits(document.language, document.source, {finding.line: {finding.code}},
                                          SUPPRESSION_REASON)
    if not edits:
        return None
    start, end, text = edits[0]
    return document.bom + start, document.bom + end, text


def _key(code: object, where: lsp.Range) -> tuple:
    return (str(code), where.start.line, where.start.character, where.end.line, where.end.character)


def code_actions(uri: str, document: Document, findings: list[Finding], wanted: lsp.Range,
                 only: list[str] | None = None, context: list[lsp.Diagnostic] = ()) -> list[lsp.CodeAction]:
    """Quick fixes for the findings touching `wanted` or shown as one of the `context` diagnostics
    (some editors send the cursor's position with the diagnostics of its line): each finding's fix,
    then a suppression."""
    if only is not None and not any(kind in ("", lsp.CodeActionKind.QuickFix) for kind in only):
        return []
    low, high = document.offset_at(wanted.start), document.offset_at(wanted.end)
    shown = {_key(d.code, d.range) for d in context if d.source == SOURCE}
    fixes: list[lsp.CodeAction] = []
    suppressions: dict[tuple[int, str], lsp.CodeAction] = {}
    for finding in findings:
        start, end = document.span(finding)
        if finding.code == SYNTAX_ERROR.code:
            continue
        diag = diagnostic(document, finding)
        if not (start <= high and low <= end or _key(diag.code, diag.range) in shown):
            continue
        if finding.fix is not None and finding.fix.edits:
            edits = [
                lsp.TextEdit(range=document.range(document.bom + e.start, document.bom + e.end), new_text=e.replacement)
                for e in finding.fix.edits
            ]
            fixes.append(lsp.CodeAction(
                title=finding.fix.title if finding.fix.safe else f"{finding.fix.title} (unsafe fix)",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=finding.fix.safe,
                edit=lsp.WorkspaceEdit(changes={uri: edits}),
            ))
        key = (finding.line, finding.code)
        if key in suppressions:
            suppressions[key].diagnostics.append(diag)
            continue
        insert = suppression_edit(document, finding)
        if insert is None:
            continue
        suppressions[key] = lsp.CodeAction(
            title=f"Suppress {finding.code} on this line",
            kind=lsp.CodeActionKind.QuickFix,
            diagnostics=[diag],
            edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=document.range(insert[0], insert[1]),
                                                               new_text=insert[2])]}),
        )
    return fixes + list(suppressions.values())


# ---- configuration and linting --------------------------------------------------------------------
class Configs:
    """The plan for a folder, from the nearest config file upward; re-read when that file changes."""

    def __init__(self) -> None:
        self._plans: dict[str, tuple[tuple, Plan]] = {}

    def plan_for(self, folder: Path, fallback_root: Path) -> tuple[Plan, str | None]:
        """(plan, error): on a configuration error, the default plan and the error to show."""
        known = tuple(all_rules())
        try:
            path = find_config_file(folder)
            if path is None:
                key, stamp = f"<defaults>:{fallback_root}", ()
            else:
                info = path.stat()
                key, stamp = str(path), (info.st_mtime_ns, info.st_size)
            cached = self._plans.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1], None
            config = load(path, known) if path is not None else Config(root=fallback_root)
        except (ConfigError, OSError) as exc:
            return make_plan(Config(root=fallback_root)), f"{exc}; linting with the default configuration"
        plan = make_plan(config)
        self._plans[key] = (stamp, plan)
        return plan, None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _for_document(plan: Plan, path: str | None, display: str) -> Plan:
    """The plan with this document's per-file ignores resolved (matched against the config root)."""
    if not plan.per_file_ignores:
        return plan
    rel = os.path.relpath(path, plan.root).replace(os.sep, "/") if path and plan.root else display
    ignored: set[str] = set()
    for spec, codes in plan.per_file_ignores:
        if spec.match_file(rel) or spec.match_file(display):
            ignored |= codes
    rules = {lang: tuple(r for r in rules if r.code not in ignored) for lang, rules in plan.rules.items()}
    return replace(plan, rules=rules, per_file_ignores=())


@dataclass
class Linted:
    document: Document
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    config_error: str | None = None

    def diagnostics(self) -> list[lsp.Diagnostic]:
        found = [diagnostic(self.document, f) for f in self.findings]
        found += [notice_diagnostic(self.document, n) for n in self.notices if n.line > 0]
        return found


def lint_document(document: Document, path: str | None, roots: list[str], configs: Configs) -> Linted:
    """Lint a document's text; `path` is its file (None: not saved yet), `roots` the workspace folders."""
    root = next((r for r in roots if path and _inside(path, r)), None)
    folder = Path(path).parent if path else Path(roots[0] if roots else os.getcwd())
    plan, error = configs.plan_for(folder, Path(root) if root else folder)
    base = plan.root or str(folder)
    if path and _inside(path, base):
        display = os.path.relpath(path, base).replace(os.sep, "/")
    else:
        display = path or f"untitled.{'py' if document.language == 'python' else 'go'}"
    result = lint_source(display, document.language, document.data(), _for_document(plan, path, display))
    return Linted(document, result.findings, result.notices, result.errors, error)


# ---- the server -------------------------------------------------------------------------------------
def visible(text: str) -> str:
    """A window message's text with its line breaks kept and any other control character escaped
    (`\\x1b`), so a file name cannot send escape sequences to a log read in a terminal."""
    return "\n".join(printable(line) for line in LSP_NEWLINE.split(text))


class ConnlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("connlint", __version__, protocol_cls=Protocol)
        self.rpc.log = lambda line: self.log(line, lsp.MessageType.Warning)
        self.configs = Configs()
        self.linted: dict[str, Linted] = {}
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.shown: set[str] = set()

    @property
    def rpc(self) -> Protocol:  # pygls 2 calls it `protocol`, pygls 1.x `lsp`
        return getattr(self, "protocol", None) or getattr(self, "lsp")

    def notify(self, method: str, params: object) -> None:
        self.rpc.notify(method, params)

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.notify(lsp.WINDOW_LOG_MESSAGE, lsp.LogMessageParams(type=kind, message=visible(message)))

    def show_once(self, message: str, kind: lsp.MessageType) -> None:
        message = visible(message)
        self.log(message, kind)
        if message not in self.shown:
            self.shown.add(message)
            self.notify(lsp.WINDOW_SHOW_MESSAGE, lsp.ShowMessageParams(type=kind, message=message))

    def publish(self, uri: str, diagnostics: list[lsp.Diagnostic], version: int | None = None) -> None:
        self.notify(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS,
                    lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    @property
    def encoding(self) -> str:
        value = self.workspace.position_encoding
        return str(getattr(value, "value", value) or "utf-16")

    def report_server_error(self, error: Exception, source: type) -> None:
        """pygls's errors outside a request (which gets its own error answer), escaped like ours."""
        if getattr(source, "__name__", "") != "FeatureRequestError":
            self.show_once(f"connlint: internal error: {error}", lsp.MessageType.Error)

    def opened(self, uri: str):
        """The open document at `uri`, or None: a document the editor has not opened is never read
        from disk (pygls's `get_text_document` would)."""
        documents = self.workspace.text_documents
        return documents.get(uri) or documents.get(unquote(uri))  # pygls 2 keys them unquoted

    def roots(self) -> list[str]:
        found = [to_fs_path(f.uri) for f in self.workspace.folders.values()]
        found.append(self.workspace.root_path)
        return [os.path.abspath(p) for p in found if p]

    def lint(self, uri: str) -> Linted | None:
        """Lint an open document (None: not open, or not Python or Go) and remember the result."""
        doc = self.opened(uri)
        if doc is None:
            return None
        path = to_fs_path(uri) if uri.startswith("file:") else None
        language = (language_of(path) if path else None) or LANGUAGE_IDS.get(doc.language_id or "")
        if language is None:
            return None
        cached = self.linted.get(uri)
        if cached is not None and cached.document.text == doc.source and cached.document.encoding == self.encoding:
            return cached
        linted = lint_document(Document(doc.source, language, self.encoding),
                               os.path.abspath(path) if path else None, self.roots(), self.configs)
        self.linted[uri] = linted
        if linted.config_error:
            self.show_once(f"connlint: {linted.config_error}", lsp.MessageType.Error)
        for error in linted.errors:
            self.show_once(f"connlint: error: {error}", lsp.MessageType.Error)
        for notice in linted.notices:
            if notice.line == 0:
                self.log(f"connlint: {notice.level}: {notice.path}: {notice.message}", lsp.MessageType.Warning)
        return linted

    def lint_and_publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        try:
            linted = self.lint(uri)
            if linted is not None:
                self.publish(uri, linted.diagnostics(), self.opened(uri).version)
        except Exception:  # a bug: surface it in the editor and keep serving
            self.show_once(f"connlint: internal error linting {uri}:\n{traceback.format_exc()}",
                           lsp.MessageType.Error)

    def schedule(self, uri: str) -> None:
        """Lint after a short pause in typing (at once when there is no event loop)."""
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.lint_and_publish(uri)
            return
        self.pending[uri] = loop.call_later(DEBOUNCE_SECONDS, self.lint_and_publish, uri)

    def forget(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.linted.pop(uri, None)


def build_server() -> ConnlintServer:
    server = ConnlintServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ConnlintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.lint_and_publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ConnlintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ConnlintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.rsplit("/", 1)[-1] in CONFIG_FILES:  # a config edited in the editor: lint everything again
            ls.linted.clear()
            for document in list(ls.workspace.text_documents.values()):  # the editor's own URIs, not the keys
                ls.lint_and_publish(document.uri)
        else:
            ls.linted.pop(uri, None)  # a config may have changed outside the editor
            ls.lint_and_publish(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ConnlintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)
        ls.publish(params.text_document.uri, [])

    @server.feature(SKIPPED)
    def message_skipped(ls: ConnlintServer, params) -> None:
        length, limit = (_field(params, name) for name in ("length", "limit"))
        ls.show_once(f"connlint: skipped a message of {length:,} bytes from the editor (the limit is "
                     f"{limit >> 20} MiB); a document that large is not linted", lsp.MessageType.Error)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: ConnlintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        linted = ls.lint(uri)
        if linted is None:
            return None
        return code_actions(uri, linted.document, linted.findings, params.range, params.context.only,
                            params.context.diagnostics)

    return server


def _field(params: object, name: str) -> int:
    """A number in a custom notification's params (a dict or an object, as the pygls version has it)."""
    value = params.get(name) if isinstance(params, dict) else getattr(params, name, None)
    return value if isinstance(value, int) else 0


def serve() -> None:
    """Speak LSP on standard input and output until the client says exit."""
    build_server().start_io(stdin=BoundedReader(sys.stdin.buffer))
