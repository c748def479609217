"""The language server (`almen lsp`): diagnostics, hover, definitions, references, completion
and formatting for the files of a policy folder, read from the editor's unsaved text.

`folder` analyses a folder (parse, amend, check) from the texts the editor holds, `navigate`
answers questions about positions in it, `server` speaks the protocol (pygls). Only `server`
needs the optional `lsp` extra.
"""
