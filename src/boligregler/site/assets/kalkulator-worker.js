// The calculator's engine in a web worker: the boligregler library running in Pyodide, both served
// from this site (no CDN, works offline). The site build made a memory snapshot of Pyodide with the
// library imported and every kommune's policy loaded; restoring it skips starting Python, importing
// and checking. If the snapshot is missing or cannot be restored, Pyodide starts from scratch on the
// library's pre-parsed policies (Lark is never imported either way).
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { entryPoints, restoreOptions, snapshotBytes, unpackLibrary } from "./kalkulator-motor.mjs";

const here = new URL(".", import.meta.url);
const indexURL = new URL("pyodide/", here).href;
let engine = null;

const timings = {};
const mark = (name) => { timings[name] = Math.round(performance.now()); };

async function bytes(name) {
  const response = await fetch(new URL(name, here));
  if (!response.ok) throw new Error(`${name}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function restore() {
  try {
    const image = fetch(new URL("boligregler-minne.bin", here)).then((response) => {
      if (!response.ok) throw new Error(`boligregler-minne.bin: ${response.status}`);
      return snapshotBytes(response);
    }).then((snapshot) => { mark("snapshot"); return snapshot; });
    return await loadPyodide({ indexURL, packages: [], ...restoreOptions(image, indexURL) });
  } catch (error) {
    timings.restoreError = String(error && error.message || error);
    return null;
  }
}

/** The engine for `policy`: { answer, rest }, `rest` what is left to do once the calculator is ready. */
async function boot(policy) {
  mark("start");
  const bundle = bytes("boligregler.zip");
  let py = await restore();
  timings.restored = py !== null;
  if (py === null) {
    py = await loadPyodide({ indexURL, packages: [] });
    unpackLibrary(py, await bundle);
  }
  mark("pyodide");
  const library = entryPoints(py);
  mark("import");
  library.warm(policy);
  mark("policy");
  // After a restore the files come last: the snapshot has imported what an answer needs.
  const rest = timings.restored ? async () => unpackLibrary(py, await bundle) : async () => {};
  return { answer: library.answer, rest };
}

onmessage = async ({ data }) => {
  try {
    if (data.kind === "last") {
      engine = boot(data.policy);
      const { rest } = await engine;
      postMessage({ kind: "klar", timings });
      await rest();
    } else if (data.kind === "regn") {
      const { answer } = await (engine ??= boot(data.policy));
      const reply = JSON.parse(answer(data.policy, JSON.stringify(data.pairs), data.today));
      postMessage({ kind: "svar", id: data.id, ...reply });
    }
  } catch (error) {
    postMessage({ kind: "feil", melding: String(error && error.message || error) });
  }
};
