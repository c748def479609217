"""The protocol side of the language server (pygls): documents in, diagnostics, hovers,
locations, completions and edits out. Positions cross here: the policy's spans count characters
from 1, the client counts in the encoding it negotiated (UTF-16 unless it said otherwise).
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import ServerTextPosition

from almen.dsl import nodes as n
from almen.dsl.builtins import BUILTINS
from almen.dsl.diagnostics import Diagnostic, PolicyError
from almen.dsl.formatter import format_source
from almen.dsl.highlight import keywords
from almen.dsl.i18n import _
from almen.dsl.identity import key_of
from almen.interpreter.lsp.folder import Analysis, analyse
from almen.interpreter.lsp.navigate import Index, Occurrence, describe

SOURCE = "almen"

_KIND = {
    "fakta": lsp.CompletionItemKind.Field,
    "parameter": lsp.CompletionItemKind.Constant,
    "definition": lsp.CompletionItemKind.Function,
    "beslutning": lsp.CompletionItemKind.Function,
    "tabel": lsp.CompletionItemKind.Struct,
    "skema": lsp.CompletionItemKind.Struct,
    "hjul": lsp.CompletionItemKind.Struct,
    "valg": lsp.CompletionItemKind.Enum,
    "post": lsp.CompletionItemKind.Class,
    "mål": lsp.CompletionItemKind.Event,
}


# The outline's symbol kind of each declaration kind.
_SYMBOL = {
    "politik": lsp.SymbolKind.Namespace,
    "fakta": lsp.SymbolKind.Field,
    "parameter": lsp.SymbolKind.Constant,
    "definition": lsp.SymbolKind.Function,
    "beslutning": lsp.SymbolKind.Function,
    "regel": lsp.SymbolKind.Method,
    "undtagelse": lsp.SymbolKind.Method,
    "tabel": lsp.SymbolKind.Struct,
    "skema": lsp.SymbolKind.Struct,
    "hjul": lsp.SymbolKind.Struct,
    "valg": lsp.SymbolKind.Enum,
    "post": lsp.SymbolKind.Class,
    "mål": lsp.SymbolKind.Event,
    "fjern": lsp.SymbolKind.Null,
}


class AlmenServer(LanguageServer):
    """Keeps one analysis per policy folder, redone when a file of that folder changes."""

    def __init__(self) -> None:
        try:
            version = metadata.version("almen")
        except metadata.PackageNotFoundError:
            version = "0"
        super().__init__("almen", version, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.analyses: dict[Path, tuple[Analysis, Index]] = {}
        self.published: dict[Path, set[str]] = {}  # folder → the uris it last sent diagnostics for

    # ---- the texts the editor holds, and the analyses made from them
    def texts(self) -> dict[str, str]:
        found = {}
        for uri, doc in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is not None:
                found[str(Path(path))] = doc.source
        return found

    def folder_of(self, uri: str) -> Path | None:
        path = to_fs_path(uri)
        return None if path is None else Path(path).parent

    def analysis(self, uri: str) -> tuple[Analysis, Index] | None:
        folder = self.folder_of(uri)
        if folder is None:
            return None
        if folder not in self.analyses:
            result = analyse(folder, self.texts())
            self.analyses[folder] = (result, Index(result.modules, result.model))
        return self.analyses[folder]

    def refresh(self, uri: str) -> None:
        """Analyse the folder again and send every file of it its diagnostics (none: cleared)."""
        folder = self.folder_of(uri)
        if folder is None:
            return
        self.analyses.clear()  # a folder that amends this one is stale too
        found = self.analysis(uri)
        if found is None:
            return
        result, _ = found
        by_uri: dict[str, list[lsp.Diagnostic]] = {from_fs_path(p) or p: [] for p in result.paths}
        for d in result.diagnostics:
            if not Path(d.span.path).is_file() and d.span.path not in result.paths:
                # about a folder (the version amended has no files): shown at the top of this file
                d = attrs.evolve(d, span=attrs.evolve(d.span, path=str(to_fs_path(uri)), line=1, column=1))
            by_uri.setdefault(from_fs_path(d.span.path) or d.span.path, []).append(self.diagnostic(d))
        for stale in self.published.get(folder, set()) - by_uri.keys():
            by_uri[stale] = []
        self.published[folder] = {u for u, ds in by_uri.items() if ds}
        for target, diagnostics in by_uri.items():
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=target, diagnostics=diagnostics))

    # ---- positions
    def document(self, path: str) -> TextDocument:
        uri = from_fs_path(path) or path
        known = self.workspace.text_documents.get(uri)
        if known is not None:
            return known
        source = next((m.source for r, _ in self.analyses.values() if (m := r.module(path)) is not None), None)
        if source is None:
            try:
                source = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                source = ""  # positions in a file that cannot be read are taken as they are
        return TextDocument(uri, source, position_codec=self.workspace.position_codec)

    def position(self, path: str, line: int, column: int) -> lsp.Position:
        """A policy's 1-based line and character column → the client's position."""
        doc = self.document(path)
        return doc.position_to_client_units(ServerTextPosition(max(line - 1, 0), max(column - 1, 0)))

    def location(self, o: Occurrence) -> lsp.Location:
        doc = self.document(o.path)
        start, end = doc.client_position_at_offset(o.start), doc.client_position_at_offset(o.end)
        return lsp.Location(uri=doc.uri, range=lsp.Range(start=start, end=end))

    def diagnostic(self, d: Diagnostic) -> lsp.Diagnostic:
        span = d.span
        start = self.position(span.path, span.line, span.column)
        if (span.end_line, span.end_column) > (span.line, span.column):
            end = self.position(span.path, span.end_line, span.end_column)
        else:
            end = lsp.Position(line=start.line, character=start.character + 1)
        related = [
            lsp.DiagnosticRelatedInformation(
                location=lsp.Location(
                    uri=from_fs_path(s.path) or s.path,
                    range=lsp.Range(
                        start=self.position(s.path, s.line, s.column), end=self.position(s.path, s.line, s.column + 1)
                    ),
                ),
                message=message,
            )
            for s, message, _line in d.related
        ]
        message = d.message + ("\n" + _("hint: {hint}").format(hint=d.hint) if d.hint else "")
        return lsp.Diagnostic(
            range=lsp.Range(start=start, end=end),
            message=message,
            severity=lsp.DiagnosticSeverity.Error,
            source=SOURCE,
            related_information=related or None,
        )

    def occurrence_at(self, uri: str, position: lsp.Position) -> tuple[Index, Occurrence] | None:
        found = self.analysis(uri)
        path = to_fs_path(uri)
        if found is None or path is None:
            return None
        _, index = found
        doc = self.workspace.get_text_document(uri)
        occurrence = index.at(str(Path(path)), doc.offset_at_position(position))
        return None if occurrence is None else (index, occurrence)


server = AlmenServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: AlmenServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: AlmenServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: AlmenServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: AlmenServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.refresh(params.text_document.uri)  # the file on disk takes the place of the unsaved text


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: AlmenServer, params: lsp.HoverParams) -> lsp.Hover | None:
    found = ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    index, occurrence = found
    location = ls.location(occurrence)
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=index.hover(occurrence)),
        range=location.range,
    )


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: AlmenServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    found = ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    index, occurrence = found
    declared = index.definition(occurrence.target)
    return None if declared is None else ls.location(declared)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: AlmenServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    found = ls.occurrence_at(params.text_document.uri, params.position)
    if found is None:
        return None
    index, occurrence = found
    uses = index.references(occurrence.target, params.context.include_declaration)
    return [ls.location(o) for o in uses]


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION)
def completion(ls: AlmenServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    items = [lsp.CompletionItem(label=w, kind=lsp.CompletionItemKind.Keyword, detail="nøgleord") for w in keywords()]
    items += [
        lsp.CompletionItem(
            label=name,
            kind=lsp.CompletionItemKind.Function,
            detail="indbygget funktion",
            documentation=builtin.description,
        )
        for name, builtin in BUILTINS.items()
    ]
    found = ls.analysis(params.text_document.uri)
    if found is not None:
        items += _names(found[1])
    return lsp.CompletionList(is_incomplete=False, items=items)


def _names(index: Index) -> list[lsp.CompletionItem]:
    """The policy's own names: what can be written in an expression or a type."""
    items = []
    for k, decl in index.decls.items():
        if k.kind in _KIND:
            doc = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n".join(describe(decl)))
            items.append(lsp.CompletionItem(label=k.name, kind=_KIND[k.kind], detail=str(k), documentation=doc))
    for member, enum in index.members.items():
        items.append(
            lsp.CompletionItem(
                label=member, kind=lsp.CompletionItemKind.EnumMember, detail=f"værdi af valg {enum.name}"
            )
        )
    return items


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: AlmenServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol] | None:
    """The file's outline: one entry per declaration, named as its identity (`regel trappe.x`)."""
    found = ls.analysis(params.text_document.uri)
    path = to_fs_path(params.text_document.uri)
    if found is None or path is None:
        return None
    result, index = found
    module = result.module(str(Path(path)))
    if module is None:
        return None
    doc = ls.document(module.path)
    names = {id(o.node): o for o in index.occurrences if o.declaration and o.path == module.path}
    outline = []
    for decl in module.decls:
        whole = lsp.Range(
            start=doc.client_position_at_offset(decl.span.start), end=doc.client_position_at_offset(decl.span.end)
        )
        name = names.get(id(decl))
        selection = ls.location(name).range if name is not None else whole
        if isinstance(decl, n.Policy):
            label = f"politik {decl.name}"
        elif isinstance(decl, n.Removal):
            label = f"fjern {decl.target_kind} {decl.name}"
        else:
            label = str(key_of(decl))
        outline.append(lsp.DocumentSymbol(label, _SYMBOL.get(decl.kind, lsp.SymbolKind.Object), whole, selection))
    return outline


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: AlmenServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    doc = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_source(doc.source, to_fs_path(doc.uri) or doc.uri)
    except PolicyError:
        return None  # a file that does not parse is left as it is; its diagnostics say why
    if formatted == doc.source:
        return []
    end = lsp.Position(line=len(doc.lines), character=0)
    return [lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0), end=end), new_text=formatted)]


def serve() -> Any:
    """Speak the protocol on standard input and output until the client says exit."""
    return server.start_io()
