// The calculator's engine: the boligregler library in Pyodide. Shared by the web worker
// (kalkulator-worker.js) and the site build, which runs it in Node to make the memory snapshot
// the browser restores (site/minnebilde.mjs); the snapshot is made again when this file changes.

// The snapshot's unit (site/minnebilde.mjs writes, the worker unpacks): it stores only the pages that are not zeros
export const SNAPSHOT_PAGE = 4096;
export const APP = "/app";  // where the library bundle is unpacked in Pyodide's file system

/** Unpack the library bundle (its modules and the policies' pre-parsed trees) and put it on the path.
 * After a restore too: the snapshot holds Python's memory, not the files. */
export function unpackLibrary(py, bundle) {
  py.unpackArchive(bundle, "zip", { extractDir: APP });
  py.runPython(`
import os, sys
os.chmod("${APP}/cache", 0o700)
for entry in os.scandir("${APP}/cache"):  # the tree cache reads only private entries (syntax.cache.read_private)
    os.chmod(entry.path, 0o600)
os.environ["BOLIGREGLER_CACHE_DIR"] = "${APP}/cache"
if "${APP}" not in sys.path:
    sys.path.insert(0, "${APP}")
`);
}

/** The calculator's entry points (boligregler.site.estimate), imported unless a snapshot has them. */
export function entryPoints(py) {
  py.runPython("from boligregler.site.estimate import browser_answer, warm");
  return { answer: py.globals.get("browser_answer"), warm: py.globals.get("warm") };
}
