// Tokenise every shipped policy with the TextMate grammar (vscode-textmate + vscode-oniguruma, as VS Code does)
// and check the scopes of the constructs that matter. Run: node test/tokenize.js [FILE.pol ...]
"use strict";
const fs = require("fs");
const path = require("path");
const assert = require("assert");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const root = path.resolve(__dirname, "..", "..", "..");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;

async function grammar() {
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(fs.readFileSync(path.join(__dirname, "..", "syntaxes", "pol.tmLanguage.json"), "utf8"),
                            "pol.tmLanguage.json"),
  });
  return registry.loadGrammar("source.pol");
}

function tokenise(g, text) {
  const out = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = g.tokenizeLine(line, stack);
    for (const t of r.tokens) {
      out.push({ line: i + 1, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    stack = r.ruleStack;
  });
  return { tokens: out, stack };
}

function scopeOf(tokens, text, line) {
  const t = tokens.find((x) => x.text === text && (line === undefined || x.line === line));
  assert(t, `no token «${text}»${line ? " on line " + line : ""}`);
  return t.scopes[t.scopes.length - 1];
}

async function main() {
  const g = await grammar();
  const files = process.argv.slice(2).length ? process.argv.slice(2)
    : fs.readdirSync(path.join(root, "policies")).filter((f) => f.endsWith(".pol")).map((f) => path.join(root, "policies", f));
  let checked = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const { tokens, stack } = tokenise(g, text);
    // every line ends outside strings and holes: the grammar never leaks state across lines
    assert.strictEqual(stack.depth, vsctm.INITIAL.depth, `${file}: the tokeniser ends inside a construct`);
    // every string is a string from its opening to its closing quote
    text.split("\n").forEach((line, i) => {
      const stringTokens = tokens.filter((t) => t.line === i + 1 && t.scopes.some((s) => s.startsWith("string.")));
      const quoted = (line.replace(/#.*$/, "").match(/"(?:[^"\\]|\\.)*"/g) || []).join("");
      const inString = stringTokens.map((t) => t.text).join("");
      if (!line.trimStart().startsWith("#")) {
        assert.strictEqual(inString, quoted, `${file}:${i + 1}: strings are not tokenised as strings`);
      }
    });
    // no keyword inside a comment
    for (const t of tokens) {
      if (t.scopes.some((s) => s.startsWith("comment."))) {
        assert(!t.scopes.some((s) => s.startsWith("keyword.") || s.startsWith("storage.")), `${file}:${t.line}: keyword in a comment`);
      }
    }
    checked += 1;
  }
  // the scopes of one policy, construct by construct
  const drammen = tokenise(g, fs.readFileSync(path.join(root, "policies", "drammen.pol"), "utf8")).tokens;
  assert.strictEqual(scopeOf(drammen, "regelverk"), "storage.type.declaration.pol");
  assert.strictEqual(scopeOf(drammen, "drammen"), "entity.name.function.pol");
  assert.strictEqual(scopeOf(drammen, "2015-01-01"), "constant.numeric.date.pol");
  assert.strictEqual(scopeOf(drammen, "hovedregel"), "constant.language.pol");
  assert.strictEqual(scopeOf(drammen, "når"), "keyword.control.pol");
  assert.strictEqual(scopeOf(drammen, "sann"), "constant.language.pol");
  const hole = drammen.find((t) => t.text === "krav_bankavslag" && t.scopes.includes("meta.template.expression.pol"));
  assert(hole && hole.scopes.some((s) => s.startsWith("string.")), "a name in a {…} hole of a text");
  assert(hole.scopes[hole.scopes.length - 1].startsWith("variable.other"), "a name in a {…} hole");
  assert(scopeOf(drammen, "## Drammen gir tilskudd til etablering.").startsWith("comment.block.documentation"));
  assert(scopeOf(drammen, "# ─── Parametre ───────────────────────────────────────────────────────────────").startsWith("comment.line"));
  console.log(`tokenised ${checked} policies with the TextMate grammar: ok`);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
