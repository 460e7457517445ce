// Site-wide fixes for universal design that the theme does not make: a table too wide for the
// screen scrolls in a region the keyboard can reach, named by the table's caption.
function focusableScrollRegions() {
  for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])")) {
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    const caption = wrap.querySelector("caption");
    wrap.setAttribute("aria-label", caption ? caption.textContent : "Tabell");
  }
}
new MutationObserver(focusableScrollRegions).observe(document.body, { childList: true, subtree: true });
focusableScrollRegions();
