// Site search without its cost on every page load. The theme (Material for MkDocs) builds a search
// index of the whole site in a worker as soon as a page opens: seconds of CPU on a phone, spent
// while the calculator starts. This script, run before the theme's, holds the theme's messages to
// its search worker until the reader turns to search (the search field gets the focus, the search
// is opened, or the address asks for a search), then sends them in order; search works as before.
(() => {
  const Native = window.Worker;
  if (!Native) return;
  const held = [];  // [worker, message, transfer] waiting for the reader to use search
  let used = false;
  const use = () => {
    if (used) return;
    used = true;
    window.boligreglerSok.brukt = true;
    for (const [worker, message, transfer] of held.splice(0)) Native.prototype.postMessage.call(worker, message, transfer);
  };
  window.boligreglerSok = { brukt: false };
  window.Worker = class extends Native {
    constructor(url, options) {
      super(url, options);
      if (!/\/workers\/search\.[^/]*\.js$/.test(new URL(url, document.baseURI).pathname)) return;
      this.postMessage = (message, transfer = []) => {
        if (used) Native.prototype.postMessage.call(this, message, transfer);
        else held.push([this, message, transfer]);
      };
    }
  };
  const inSearch = (target) => target instanceof Element && target.closest(".md-search, [data-md-toggle=search]");
  document.addEventListener("focusin", ({ target }) => { if (inSearch(target)) use(); });
  document.addEventListener("change", ({ target }) => { if (target.id === "__search" && target.checked) use(); });
  if (new URLSearchParams(location.search).has("q")) use();
})();
