// The VS Code side of almen: starts `almen lsp` for .almen files and talks to it over stdio.
// Everything the editor shows (errors, hovers, definitions, completion, formatting) comes from
// the server, so this file only says how to start it.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("almen");
  const run = {
    command: config.get("server.command", "almen"),
    args: config.get("server.args", ["lsp"]),
    transport: TransportKind.stdio,
  };
  client = new LanguageClient(
    "almen",
    "almen",
    { run, debug: run },
    { documentSelector: [{ scheme: "file", language: "almen" }] },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
