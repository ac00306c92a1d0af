// Behaviours that would otherwise be inline handlers (hx-on, trigger conditions): our
// Content-Security-Policy runs no inline or eval'd script, so templates name a behaviour with a data
// attribute and it lives here.
//   details[data-load-on-open]  fires "menu-opened" when it opens (a native toggle, or the synthetic
//                               "toggle" editor.js sends to reload an open menu), for hx-trigger="menu-opened".
//   [data-reveal-on-swap]       shows itself (and focuses its [data-focus-on-reveal]) after HTMX swaps
//                               content into it while it is hidden.
//   [data-close-panel]          a button that hides the closest [data-panel].
//   [data-undo-shortcut]        the "Undo" control of an undo notice (a button or a form's submit button):
//                               Ctrl+Z (Cmd+Z on a Mac) presses the newest one on the page, unless the
//                               person is typing in a field; its notice ([data-undo-notice]) is hidden at
//                               once, so a second Ctrl+Z cannot undo twice. A page
//                               with its own undo (the map editor, editor.js) has no such control: its
//                               Ctrl+Z is its own, and the key is left to it (defaultPrevented).
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

  function typing(element) {
    if (!element || !element.closest) return false;
    if (element.isContentEditable) return true;
    return !!element.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.altKey || event.shiftKey || !(event.ctrlKey || event.metaKey)) return;
    if (event.key !== "z" && event.key !== "Z") return;
    if (typing(event.target)) return; // the field's own undo of what was typed
    var controls = Array.prototype.filter.call(
      document.querySelectorAll("[data-undo-shortcut]"),
      function (control) { return !control.disabled && control.getClientRects().length > 0; }
    );
    var control = controls[controls.length - 1];
    if (!control) return;
    event.preventDefault();
    control.disabled = true; // one undo per notice, however fast the keys repeat
    var notice = control.closest("[data-undo-notice]");
    if (control.form) control.form.requestSubmit(); else control.click();
    if (notice) notice.hidden = true; // hidden, not removed: a form taken out of the page may not submit
  });
})();
