// Site build: a memory snapshot of Pyodide with the boligregler library imported and every
// kommune's policy loaded and run once, so a visitor's browser restores it instead of starting
// Python, importing the library and checking the policy (boligregler.site.calculator.snapshot).
// The file: the image's size in bytes (8, little-endian), then, gzip-compressed, a bitmap of the image's
// 4 KiB pages that are not all zeros (bit i of byte i >> 3: page i) followed by those pages in order. Almost
// half of the image is zeros (heap not in use): the browser neither unpacks nor copies them.
//
//   node minnebilde.mjs PYODIDE_DIR BUNDLE_ZIP TARGET POLICY_ID...
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { SNAPSHOT_PAGE as PAGE, entryPoints, unpackLibrary } from "./assets/kalkulator-motor.mjs";

const [pyodideDir, bundlePath, target, ...policies] = process.argv.slice(2);
const indexURL = pyodideDir.endsWith("/") ? pyodideDir : pyodideDir + "/";
const { loadPyodide } = await import(pathToFileURL(indexURL + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL, packages: [], _makeSnapshot: true });
unpackLibrary(py, new Uint8Array(readFileSync(bundlePath)));
const library = entryPoints(py);
for (const policy of policies) library.warm(policy);
// The policies come from the bundle's pre-parsed trees: had the tree cache missed, the parser (Lark, its
// grammar and tables: a third of the image) would be in the snapshot and every visitor would download it.
const parsed = py.runPython(`import sys; sorted(m for m in ("lark", "boligregler.syntax.parser") if m in sys.modules)`).toJs();
if (parsed.length) throw new Error(`the calculator parsed a policy instead of reading its tree from the bundle (${parsed.join(", ")} imported)`);
library.answer.destroy();
library.warm.destroy();
const image = py.makeMemorySnapshot();
const size = Buffer.alloc(8);
size.writeBigUInt64LE(BigInt(image.length));  // the browser allocates the image before it arrives
const pages = Math.ceil(image.length / PAGE);
const used = Buffer.alloc(Math.ceil(pages / 8)), kept = [];
for (let page = 0; page < pages; page++) {
  const bytes = image.subarray(page * PAGE, (page + 1) * PAGE);
  if (bytes.some((b) => b !== 0)) {
    used[page >> 3] |= 1 << (page & 7);
    kept.push(bytes);
  }
}
writeFileSync(target + ".tmp", Buffer.concat([size, gzipSync(Buffer.concat([used, ...kept]), { level: 6 })]));
renameSync(target + ".tmp", target);
console.log(`${target}: ${image.length} bytes of memory (${kept.length} of ${pages} pages not zero), ${policies.length} policies`);
