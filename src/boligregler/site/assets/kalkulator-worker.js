// The calculator's engine in a web worker: the boligregler library running in Pyodide, both served
// from this site (no CDN, works offline). The site build made a memory snapshot of Pyodide with the
// library imported and every kommune's policy loaded; restoring it skips starting Python, importing
// and checking. If the snapshot is missing or cannot be restored, Pyodide starts from scratch on the
// library's pre-parsed policies (Lark is never imported either way).
import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";  // loaded with the worker, before the snapshot arrives
import { SNAPSHOT_PAGE as PAGE, entryPoints, unpackLibrary } from "./kalkulator-motor.mjs";

const here = new URL(".", import.meta.url);
const indexURL = new URL("pyodide/", here).href;
const SNAPSHOT = "boligregler-minne.bin";
let engine = null;

const timings = {};
const mark = (name) => { timings[name] = Math.round(performance.now()); };

let versjon = "";  // the build's engine files (?v=…): never a copy cached from an earlier build
const file = (name) => new URL(versjon ? `${name}?v=${encodeURIComponent(versjon)}` : name, here).href;

async function bytes(name) {
  const response = await fetch(file(name));
  if (!response.ok) throw new Error(`${name}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** loadPyodide options that restore the snapshot (`snapshot`: a promise of { image, filled }) while
 * it is still arriving: Pyodide compiles its WebAssembly meanwhile, and the image is copied in once
 * `filled`. Pyodide 314 creates the heap at its compiled size whatever the image's size
 * (pyodide#6254), so the heap is first grown to hold the image. */
function restoreOptions(snapshot) {
  return {
    _loadSnapshot: snapshot.then(({ image }) => image),
    createPyodideModule: async (settings) => {
      const { image, filled } = await snapshot;
      const instantiate = settings.instantiateWasm;
      settings.instantiateWasm = (imports, done) => instantiate(imports, (instance, module) => {
        const memory = instance.exports.memory;
        const missing = image.byteLength - memory.buffer.byteLength;  // the image: a short header, then the heap
        if (missing > 0) memory.grow(Math.ceil(missing / 65536));
        done(instance, module);
      });
      const module = await createPyodideModule(settings);
      await filled;
      return module;
    },
  };
}

/** The snapshot, unpacked as it arrives. Resolves as soon as its size is
 * known, to the image (still being filled) and `filled`, which resolves when all of it is in place. */
async function snapshot() {
  let image = null, sized;
  const whenSized = new Promise((resolve) => { sized = resolve; });
  const filled = unpack(file(SNAPSHOT), (n) => { image = new Uint8Array(n); sized(); },
                        (bytes, at) => image.set(bytes, at)).then(() => mark("snapshot"));
  await Promise.race([whenSized, filled]);  // a failure before the size is known rejects here
  return { image, filled };
}

/** Fetch and unpack the snapshot at `url` (the site build's minnebilde.mjs wrote it: the image's size,
 * 8 bytes little-endian, then gzip-compressed the bitmap of its pages that are not zeros and those pages):
 * `size(n)` once its size is known, then `part(bytes, at)` for each piece of the image that is not zeros, in
 * order (the rest stays as allocated: zeros); resolves with the number of bytes put in place. */
async function unpack(url, size, part) {
  const name = new URL(url).pathname.split("/").pop();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${name}: ${response.status}`);
  const reader = response.body.getReader();
  let head = new Uint8Array(0);
  while (head.length < 8) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${name}: too short`);
    const joined = new Uint8Array(head.length + value.length);
    joined.set(head);
    joined.set(value, head.length);
    head = joined;
  }
  const total = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  size(total);
  const rest = head.subarray(8);
  const compressed = new ReadableStream({
    start(controller) { if (rest.length) controller.enqueue(rest); },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close(); else controller.enqueue(value);
    },
  });
  const unpacked = compressed.pipeThrough(new DecompressionStream("gzip")).getReader();
  const pages = Math.ceil(total / PAGE), used = new Uint8Array(Math.ceil(pages / 8));
  let known = 0, page = -1, end = 0, at = 0, placed = 0;  // the bitmap's bytes read; the page being filled
  const next = () => {
    do page++; while (page < pages && !(used[page >> 3] & (1 << (page & 7))));
    at = page * PAGE;
    end = Math.min(at + PAGE, total);
  };
  if (!used.length) next();  // an empty image: no bitmap, no pages
  for (;;) {
    const { done, value } = await unpacked.read();
    if (done) break;
    let i = 0;
    if (known < used.length) {
      i = Math.min(used.length - known, value.length);
      used.set(value.subarray(0, i), known);
      known += i;
      if (known === used.length) next();
    }
    while (i < value.length) {
      if (page >= pages) throw new Error(`${name}: more pages than the bitmap`);
      const n = Math.min(end - at, value.length - i);
      part(value.subarray(i, i + n), at);
      at += n; i += n; placed += n;
      if (at === end) next();
    }
  }
  if (known < used.length || page < pages) {
    throw new Error(`${name}: ended at page ${page} of ${pages}`);
  }
  return placed;
}

async function restore() {
  try {
    return await loadPyodide({ indexURL, packages: [], ...restoreOptions(snapshot()) });
  } catch (error) {
    timings.restoreError = String(error && error.message || error);
    return null;
  }
}

/** The engine for `policy`: { answer, files }. After a restore the library's files are not unpacked: the
 * snapshot has imported and loaded all an answer needs. `files()` unpacks them once and says whether it
 * did, for an answer that asks Python for something only they hold (a module not imported, a source line). */
async function boot(policy) {
  mark("start");
  let bundle = null;
  const library = () => (bundle ??= bytes("boligregler.zip"));  // fetched only when unpacked
  let py = await restore();
  timings.restored = py !== null;
  let unpacked = !timings.restored;
  if (py === null) {
    library();
    py = await loadPyodide({ indexURL, packages: [], createPyodideModule });
    unpackLibrary(py, await library());
  }
  mark("pyodide");
  const { answer, warm } = entryPoints(py);
  mark("import");
  warm(policy);
  mark("policy");
  const files = async () => {
    if (unpacked) return false;
    unpackLibrary(py, await library());
    unpacked = true;
    mark("files");
    return true;
  };
  return { answer, files };
}

onmessage = async ({ data }) => {
  versjon ||= data.versjon || "";
  let fase = "last";  // a failure to start the engine, or (once it runs) to answer
  try {
    if (data.kind === "last") {
      engine = boot(data.policy);
      await engine;
      postMessage({ kind: "klar", timings });
    } else if (data.kind === "regn") {
      const { answer, files } = await (engine ??= boot(data.policy));
      fase = "regn";
      const ask = () => JSON.parse(answer(data.policy, JSON.stringify(data.pairs), data.today));
      let reply;
      try {
        reply = ask();
      } catch (error) {
        if (!(await files())) throw error;
        reply = ask();
      }
      postMessage({ kind: "svar", id: data.id, ...reply });
    }
  } catch (error) {
    postMessage({ kind: "feil", fase, melding: String(error && error.message || error) });
  }
};
