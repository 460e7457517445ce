// VS Code client for the boligregler language server (`boligregler lsp`, stdio).
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("boligregler");
  const command = config.get("server.command", "boligregler");
  const args = config.get("server.args", ["lsp"]);
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "boligregler" }, { scheme: "untitled", language: "boligregler" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.pol") },
  };
  client = new LanguageClient("boligregler", "boligregler", serverOptions, clientOptions);
  client.start().catch((err) => {
    vscode.window.showErrorMessage(
      `Kunne ikke starte språktjeneren «${command} ${args.join(" ")}»: ${err.message}. ` +
      "Installer den med pip install 'boligregler[lsp]', eller sett boligregler.server.command.");
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
