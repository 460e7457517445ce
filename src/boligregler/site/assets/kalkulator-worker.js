// The calculator's engine: the boligregler library running in Pyodide, both served from this
// site (no CDN, works offline). The library's pre-parsed policies mean Lark is never imported.
import { loadPyodide } from "./pyodide/pyodide.mjs";

const here = new URL(".", import.meta.url);
let engine = null;

const timings = {};
const mark = (name) => { timings[name] = Math.round(performance.now()); };

async function boot(policy) {
  mark("start");
  const bundle = fetch(new URL("boligregler.zip", here)).then((r) => {
    if (!r.ok) throw new Error(`boligregler.zip: ${r.status}`);
    return r.arrayBuffer();
  });
  const py = await loadPyodide({ indexURL: new URL("pyodide/", here).href, packages: [] });
  mark("pyodide");
  py.unpackArchive(await bundle, "zip", { extractDir: "/app" });
  py.runPython(`
import os, sys
os.chmod("/app/cache", 0o700)
os.environ["BOLIGREGLER_CACHE_DIR"] = "/app/cache"
sys.path.insert(0, "/app")
from boligregler.site.estimate import browser_answer, warm
`);
  mark("import");
  py.globals.get("warm")(policy);
  mark("policy");
  return py.globals.get("browser_answer");
}

onmessage = async ({ data }) => {
  try {
    if (data.kind === "last") {
      engine = boot(data.policy);
      await engine;
      postMessage({ kind: "klar", timings });
    } else if (data.kind === "regn") {
      const answer = await (engine ??= boot(data.policy));
      const reply = JSON.parse(answer(data.policy, JSON.stringify(data.pairs), data.today));
      postMessage({ kind: "svar", id: data.id, ...reply });
    }
  } catch (error) {
    postMessage({ kind: "feil", melding: String(error && error.message || error) });
  }
};
