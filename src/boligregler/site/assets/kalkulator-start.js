// Starts the calculator's engine (kalkulator-worker.js) while the page is still loading, so Pyodide
// downloads and restores beside the page instead of after it. Loaded `async` from the head of a
// kommune page (data-policy: the policy's id; data-versjon: the build's engine files, asked for by
// it so that no copy cached from an earlier build answers); kalkulator.js takes over the worker and
// the messages that came before it ran.
(() => {
  const script = document.currentScript;
  if (window.boligreglerMotor) return;  // kalkulator.js ran first (this script came late) and started it
  let worker;
  try {
    worker = new Worker(new URL("kalkulator-worker.js", script.src), { type: "module" });
  } catch (error) {
    return;  // kalkulator.js tries again and tells the reader
  }
  const early = [];
  worker.onmessage = (event) => early.push(event);
  worker.onerror = (event) => early.push(event);
  worker.postMessage({ kind: "last", policy: script.dataset.policy, versjon: script.dataset.versjon });
  window.boligreglerMotor = { worker, early, policy: script.dataset.policy };
})();
