"""The language server, driven by a real LSP client (pygls's) over stdio against `almen lsp`.

One server process serves the whole module; each test opens the documents it needs. The
København policy is opened from its folder as it is on disk (nothing is saved); the syntax
error and the formatting are tried on files of a temporary folder that exist only as the
editor's unsaved text.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parent.parent
KBH = ROOT / "policies" / "koebenhavn" / "2024-2027"
TRAPPER = KBH / "06_trapper.almen"
TIMEOUT = 30
HEADER = 'politik prøve {\n  version "1"\n  gyldig fra 2024-01-01 til 2027-12-31\n}\n\n'  # five lines


class Session:
    """A client, its event loop, and the diagnostics the server has published so far."""

    def __init__(self) -> None:
        self.runner = asyncio.Runner()
        self.client = LanguageClient("almen-test", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: lsp.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics

    def run(self, coro: Any) -> Any:
        return self.runner.run(asyncio.wait_for(coro, TIMEOUT))

    def open(self, path: Path, text: str | None = None) -> str:
        uri = from_fs_path(str(path))
        assert uri is not None
        self.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        item = lsp.TextDocumentItem(
            uri=uri, language_id="almen", version=1, text=path.read_text(encoding="utf-8") if text is None else text
        )
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.diagnostics.pop(uri, None)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def wait_diagnostics(self, uri: str) -> list[lsp.Diagnostic]:
        async def wait() -> list[lsp.Diagnostic]:
            while uri not in self.diagnostics:
                await asyncio.sleep(0.02)
            return list(self.diagnostics[uri])

        return self.run(wait())


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    s = Session()
    s.run(s.client.start_io(sys.executable, "-m", "almen.interpreter.cli", "lsp", cwd=str(ROOT)))
    s.result = s.run(
        s.client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(),
                root_uri=from_fs_path(str(ROOT)),
                workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(ROOT)) or "", name="almen")],
            )
        )
    )
    s.client.initialized(lsp.InitializedParams())
    yield s
    s.run(s.client.shutdown_async(None))
    s.client.exit(None)
    s.run(s.client.stop())
    s.runner.close()


def _position(path: Path, needle: str, after: str = "", inside: int = 0) -> lsp.Position:
    """The position of `needle` (the first after `after`), `inside` characters into it."""
    text = path.read_text(encoding="utf-8")
    offset = text.index(needle, text.index(after) if after else 0) + inside
    line = text.count("\n", 0, offset)
    return lsp.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


def _doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def test_initialize_announces_every_feature(session: Session) -> None:
    caps = session.result.capabilities
    assert session.result.server_info.name == "almen"
    assert caps.hover_provider and caps.definition_provider and caps.references_provider
    assert caps.completion_provider is not None
    assert caps.document_formatting_provider and caps.document_symbol_provider
    assert caps.text_document_sync is not None


def test_the_policy_as_it_is_has_no_diagnostics(session: Session) -> None:
    uri = session.open(TRAPPER)
    assert session.wait_diagnostics(uri) == []


def test_syntax_error_is_reported_where_it_is_while_typing(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "regler.almen"
    good = HEADER + 'beslutning b: heltal\n  kilde "§ 1"\n\nregel b.r\n  kilde "§ 1"\n  hvis 1 = 2\n  så 3\n'
    uri = session.open(path, good)
    assert session.wait_diagnostics(uri) == []
    # a second `=` on line 11: the parser wants an expression at column 12 (0-based 11)
    session.change(uri, good.replace("hvis 1 = 2", "hvis 1 = = 2"))
    [d] = session.wait_diagnostics(uri)
    assert (d.range.start.line, d.range.start.character) == (10, 11)
    assert d.message.startswith('unexpected "="; expected')
    assert d.severity == lsp.DiagnosticSeverity.Error and d.source == "almen"
    session.change(uri, good)
    assert session.wait_diagnostics(uri) == []


def test_check_error_of_another_file_of_the_folder(session: Session, tmp_path: Path) -> None:
    """The folder is checked as a whole: a name declared in an unsaved sibling is known."""
    rules, facts = tmp_path / "regler.almen", tmp_path / "fakta.almen"
    rules_uri = session.open(rules, HEADER + 'beslutning b: heltal = alder + 1\n  kilde "§ 2"\n')
    [d] = session.wait_diagnostics(rules_uri)
    assert d.message == "unknown name 'alder'"
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (5, 23, 28)
    del session.diagnostics[rules_uri]  # the sibling's arrival sends the rules file new ones
    session.open(facts, "fakta alder: heltal\n")
    assert session.wait_diagnostics(rules_uri) == []


def test_hover_shows_citation_quote_and_value(session: Session) -> None:
    uri = session.open(TRAPPER)
    at = _position(TRAPPER, "udsat_ledighed", after="definition udpegningskriterier_opfyldt", inside=3)
    hover = session.run(session.client.text_document_hover_async(lsp.HoverParams(text_document=_doc(uri), position=at)))
    text = hover.contents.value
    assert "**parameter udsat_ledighed**" in text
    assert "Kilde: Bilag 15, Figur 1" in text
    assert "«Ledighed > 40,0 %»" in text
    assert "Fra 2022-12-01: `40 %`" in text


def test_hover_shows_interpretation_notes(session: Session) -> None:
    path = KBH / "00_aftale.almen"
    uri = session.open(path)
    at = _position(path, "koebenhavn", after="politik")
    text = session.run(
        session.client.text_document_hover_async(lsp.HoverParams(text_document=_doc(uri), position=at))
    ).contents.value
    assert "Fortolkning:" in text


def test_definition_of_a_parameter_used_in_a_definition(session: Session) -> None:
    uri = session.open(TRAPPER)
    at = _position(TRAPPER, "udsat_ledighed", after="definition udpegningskriterier_opfyldt")
    found = session.run(
        session.client.text_document_definition_async(lsp.DefinitionParams(text_document=_doc(uri), position=at))
    )
    assert isinstance(found, lsp.Location)
    assert found.uri == uri
    # line 12 of the file: `parameter udsat_ledighed: procent {`, the name after the keyword
    assert (found.range.start.line, found.range.start.character) == (11, 10)
    assert (found.range.end.line, found.range.end.character) == (11, 24)


def test_definition_across_files(session: Session) -> None:
    """A fact used in 06_trapper.almen is declared in 01_fakta.almen."""
    uri = session.open(TRAPPER)
    at = _position(TRAPPER, "afdeling.ledighed", after="definition udpegningskriterier_opfyldt")
    found = session.run(
        session.client.text_document_definition_async(lsp.DefinitionParams(text_document=_doc(uri), position=at))
    )
    facts = KBH / "01_fakta.almen"
    assert found.uri == from_fs_path(str(facts))
    assert found.range.start == _position(facts, "afdeling", after="fakta afdeling")
    # the field after the dot: the record's field, found through the checked type of `afdeling`
    at = _position(TRAPPER, "ledighed", after="definition udpegningskriterier_opfyldt")
    found = session.run(
        session.client.text_document_definition_async(lsp.DefinitionParams(text_document=_doc(uri), position=at))
    )
    assert found.uri == from_fs_path(str(facts))
    assert found.range.start == _position(facts, "ledighed", after="post Afdeling")


def test_references_of_a_parameter(session: Session) -> None:
    uri = session.open(TRAPPER)
    at = _position(TRAPPER, "udsat_ledighed", after="parameter")
    found = session.run(
        session.client.text_document_references_async(
            lsp.ReferenceParams(
                text_document=_doc(uri), position=at, context=lsp.ReferenceContext(include_declaration=True)
            )
        )
    )
    # every place the name is written (it stands in no comment or text of that file)
    written = [
        (i, m.start())
        for i, line in enumerate(TRAPPER.read_text(encoding="utf-8").splitlines())
        for m in re.finditer(r"(?<!\w)udsat_ledighed(?!\w)", line)
    ]
    assert len(written) >= 2
    assert sorted((x.uri, x.range.start.line, x.range.start.character) for x in found) == [(uri, *w) for w in written]
    without = session.run(
        session.client.text_document_references_async(
            lsp.ReferenceParams(
                text_document=_doc(uri), position=at, context=lsp.ReferenceContext(include_declaration=False)
            )
        )
    )
    assert sorted((x.range.start.line, x.range.start.character) for x in without) == written[1:]


def test_completion_offers_keywords_and_declared_names(session: Session) -> None:
    uri = session.open(TRAPPER)
    found = session.run(
        session.client.text_document_completion_async(
            lsp.CompletionParams(text_document=_doc(uri), position=lsp.Position(line=56, character=4))
        )
    )
    items = {i.label: i for i in found.items}
    assert items["hvis"].kind == lsp.CompletionItemKind.Keyword
    assert items["beslutning"].kind == lsp.CompletionItemKind.Keyword
    assert items["udsat_ledighed"].detail == "parameter udsat_ledighed"
    assert items["afdeling"].detail == "fakta afdeling"
    assert items["højt"].detail == "værdi af valg Behov"


def test_formatting_returns_the_canonical_layout(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "format.almen"
    uri = session.open(path, 'beslutning   b :heltal=1+2   kilde "§ 3"\n')
    edits = session.run(
        session.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(
                text_document=_doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
            )
        )
    )
    [edit] = edits
    assert edit.new_text == 'beslutning b: heltal = 1 + 2\n  kilde "§ 3"\n'
    assert edit.range.start == lsp.Position(line=0, character=0)


def test_vscode_extension_uses_the_generated_grammar_and_starts_the_server() -> None:
    """The extension colours with the grammar highlight.py generates and starts `almen lsp`."""
    import json

    from almen.dsl.highlight import textmate_grammar

    folder = ROOT / "editors" / "vscode"
    manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    [language] = manifest["contributes"]["languages"]
    [grammar] = manifest["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "almen" and language["extensions"] == [".almen"]
    shipped = json.loads((ROOT / "editors" / "almen.tmLanguage.json").read_text(encoding="utf-8"))
    assert grammar["scopeName"] == shipped["scopeName"] == textmate_grammar()["scopeName"]
    # the grammar is copied in when the .vsix is built, from the one file that is kept up to date
    assert "../almen.tmLanguage.json" in manifest["scripts"]["vscode:prepublish"]
    assert grammar["path"].endswith("syntaxes/almen.tmLanguage.json")
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["almen.server.command"]["default"] == "almen"
    assert settings["almen.server.args"]["default"] == ["lsp"]
    assert "vscode-languageclient" in manifest["dependencies"]
    assert "vscode-languageclient/node" in (folder / "extension.js").read_text(encoding="utf-8")


def test_hover_and_definition_while_the_folder_has_errors(session: Session, tmp_path: Path) -> None:
    """An unknown name elsewhere stops the check, not the navigation: names are looked up as the
    checker would, over the trees that parsed."""
    path = tmp_path / "regler.almen"
    text = (
        HEADER + 'parameter grænse: procent {\n  kilde "§ 4" citat "mindst 40 %"\n  fra 2024-01-01: 40 %\n}\n\n'
        'beslutning b: sandhed = andel > grænse\n  kilde "§ 5"\n'
    )
    uri = session.open(path, text)
    [d] = session.wait_diagnostics(uri)
    assert d.message == "unknown name 'andel'"
    at = lsp.Position(line=10, character=text.splitlines()[10].index("grænse") + 2)
    hover = session.run(session.client.text_document_hover_async(lsp.HoverParams(text_document=_doc(uri), position=at)))
    assert "Kilde: § 4" in hover.contents.value and "«mindst 40 %»" in hover.contents.value
    found = session.run(
        session.client.text_document_definition_async(lsp.DefinitionParams(text_document=_doc(uri), position=at))
    )
    assert (found.range.start.line, found.range.start.character) == (5, 10)


def test_an_unclosed_block_is_shown_at_its_brace_with_the_next_declaration_related(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "aaben.almen"
    uri = session.open(path, 'politik prøve {\n  version "1"\n\nbeslutning b: heltal\n  kilde "§ 1"\n')
    [d] = session.wait_diagnostics(uri)
    assert (d.range.start.line, d.range.start.character) == (0, 14)
    assert d.message == "this '{' is never closed\nhint: close it with '}' before \"beslutning\" on line 4"
    [related] = d.related_information
    assert related.location.uri == uri and related.location.range.start == lsp.Position(line=3, character=0)
    assert related.message == "the next declaration starts here"


def test_outline_lists_the_declarations_of_the_file(session: Session) -> None:
    uri = session.open(TRAPPER)
    found = session.run(
        session.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(text_document=_doc(uri)))
    )
    by_name = {s.name: s for s in found}
    assert list(by_name)[:2] == ["valg Behov", "post Placering"]
    ledighed = by_name["parameter udsat_ledighed"]
    assert ledighed.kind == lsp.SymbolKind.Constant
    assert (ledighed.range.start.line, ledighed.range.end.line) == (11, 14)
    assert (ledighed.selection_range.start.line, ledighed.selection_range.start.character) == (11, 10)
    assert any(name.startswith("regel trappe.") for name in by_name)


def test_an_amended_version_that_is_missing_is_reported_on_the_header(session: Session, tmp_path: Path) -> None:
    (tmp_path / "gammel").mkdir()  # the version amended: a folder without policy files
    (tmp_path / "ny").mkdir()
    path = tmp_path / "ny" / "00_aftale.almen"  # unsaved, in a folder of its own
    uri = session.open(path, 'politik prøve {\n  version "2"\n  ændrer "../gammel"\n}\n')
    [d] = session.wait_diagnostics(uri)
    assert d.message.startswith("no .almen files at ")
    assert (d.range.start.line, d.range.start.character) == (0, 0)


def test_closing_an_unsaved_file_clears_its_diagnostics(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "kladde.almen"
    uri = session.open(path, "beslutning b: heltal =\n")
    assert len(session.wait_diagnostics(uri)) == 1
    del session.diagnostics[uri]
    session.client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=_doc(uri)))
    assert session.wait_diagnostics(uri) == []
