// The calculator's engine: the boligregler library in Pyodide. Shared by the web worker
// (kalkulator-worker.js) and the site build, which runs it in Node to make the memory snapshot
// the browser restores (site/minnebilde.mjs).

export const APP = "/app";  // where the library bundle is unpacked in Pyodide's file system

/** Unpack the library bundle (its modules and the policies' pre-parsed trees) and put it on the path.
 * After a restore too: the snapshot holds Python's memory, not the files. */
export function unpackLibrary(py, bundle) {
  py.unpackArchive(bundle, "zip", { extractDir: APP });
  py.runPython(`
import os, sys
os.chmod("${APP}/cache", 0o700)
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

/** loadPyodide options that restore a memory image made by `makeMemorySnapshot` (`image`: a promise
 * of its bytes). Pyodide 314 creates the heap at its compiled size whatever the image's size
 * (pyodide#6254), so the heap is grown to the image's before it is copied in. */
export function restoreOptions(image, indexURL) {
  return {
    _loadSnapshot: image,
    createPyodideModule: async (settings) => {
      const [{ default: createPyodideModule }, snapshot] = await Promise.all(
        [import(new URL("pyodide.asm.mjs", indexURL).href), image]);
      const header = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 2);
      const heap = snapshot.byteLength - header[1];  // a header of header[1] bytes, then the heap
      const instantiate = settings.instantiateWasm;
      settings.instantiateWasm = (imports, done) => instantiate(imports, (instance, module) => {
        const memory = instance.exports.memory;
        const missing = heap - memory.buffer.byteLength;
        if (missing > 0) memory.grow(Math.ceil(missing / 65536));
        done(instance, module);
      });
      return createPyodideModule(settings);
    },
  };
}

/** The bytes of a snapshot as the site serves it (`response`), unpacked while they arrive: gzip-compressed,
 * or as they are if a server has already unpacked them. */
export async function snapshotBytes(response) {
  const reader = response.body.getReader();
  const first = await reader.read();
  const head = first.value ?? new Uint8Array();
  const body = new ReadableStream({
    start(controller) { if (head.length) controller.enqueue(head); },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close(); else controller.enqueue(value);
    },
  });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  return new Uint8Array(await new Response(gzip ? body.pipeThrough(new DecompressionStream("gzip")) : body).arrayBuffer());
}
