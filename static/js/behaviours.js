// Behaviours that would otherwise be inline handlers (hx-on, trigger conditions): our
// Content-Security-Policy runs no inline or eval'd script, so templates name a behaviour with a data
// attribute and it lives here.
//   details[data-load-on-open]  fires "menu-opened" when it opens (a native toggle, or the synthetic
//                               "toggle" editor.js sends to reload an open menu), for hx-trigger="menu-opened".
//   [data-reveal-on-swap]       shows itself (and focuses its [data-focus-on-reveal]) after HTMX swaps
//                               content into it while it is hidden.
//   [data-close-panel]          a button that hides the closest [data-panel].
(function () {
  "use strict";

  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.hasAttribute("data-load-on-open")) return;
    if (details.open && window.htmx) window.htmx.trigger(details, "menu-opened");
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    var panel = event.target.closest && event.target.closest("[data-reveal-on-swap]");
    if (!panel || !panel.hidden) return;
    panel.hidden = false;
    var focus = panel.querySelector("[data-focus-on-reveal]");
    if (focus) focus.focus();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-close-panel]");
    if (!button) return;
    var panel = button.closest("[data-panel]");
    if (panel) panel.hidden = true;
  });
})();
