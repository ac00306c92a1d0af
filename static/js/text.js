// Text limits without silent cuts, on every page (base.html and the present page load it).
//
// Inputs and text areas carry their limit as data-max-chars (rendered from the form field's max_length,
// journeys/templatetags/text_ui.py), never as maxlength, which makes the browser drop what is typed or
// pasted past it without a word. Near the limit a live counter shows "1,950 / 2,000"; over it the counter
// turns red, says by how much, and submitting is refused with a message naming the field. Nothing typed is
// ever removed. Counted in characters (code points) as the server counts them, not UTF-16 units: an emoji
// is one character.
(function () {
  "use strict";

  var SHOW_FROM = 0.8; // show the counter from 80 % of the limit on

  function count(text) {
    // Code points; a line break counts once (the server normalises CRLF to LF).
    return Array.from(String(text || "").replace(/\r\n/g, "\n")).length;
  }

  function format(n) { return n.toLocaleString("en-US"); }

  function labelOf(field) {
    if (field.dataset.fieldLabel) return field.dataset.fieldLabel;
    var label = field.id && document.querySelector('label[for="' + CSS.escape(field.id) + '"]');
    var text = label ? label.textContent.replace(/\s+optional\s*$/i, "").trim() : "";
    return text || field.name || "This field";
  }

  function counterOf(field, create) {
    var id = field.dataset.counterId;
    var counter = id && document.getElementById(id);
    if (counter || !create) return counter;
    counter = document.createElement("span");
    counter.className = "char-count";
    counter.id = "chars-" + Math.random().toString(36).slice(2, 10);
    counter.setAttribute("aria-live", "polite");
    field.dataset.counterId = counter.id;
    var described = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    described.push(counter.id);
    field.setAttribute("aria-describedby", described.join(" "));
    field.insertAdjacentElement("afterend", counter);
    return counter;
  }

  // Check one field: update its counter; true when it is within its limit.
  function check(field) {
    var max = parseInt(field.dataset.maxChars, 10);
    if (!max) return true;
    var n = count(field.value);
    var over = n > max;
    var counter = counterOf(field, n >= max * SHOW_FROM);
    if (counter) {
      counter.hidden = n < max * SHOW_FROM;
      counter.classList.toggle("is-over", over);
      counter.textContent = format(n) + " / " + format(max) + (over ? " · " + format(n - max) + " too many" : "");
    }
    if (over) field.setAttribute("aria-invalid", "true");
    else if (field.dataset.charsInvalid) field.removeAttribute("aria-invalid");
    if (over) field.dataset.charsInvalid = "1"; else delete field.dataset.charsInvalid;
    if (!over) clearMessage(field);
    return !over;
  }

  function clearMessage(field) {
    var message = field.dataset.messageId && document.getElementById(field.dataset.messageId);
    if (message) message.remove();
    delete field.dataset.messageId;
  }

  function say(field, text) {
    clearMessage(field);
    var message = document.createElement("p");
    message.className = "field__error char-error";
    message.id = "chars-error-" + Math.random().toString(36).slice(2, 10);
    message.setAttribute("role", "alert");
    message.textContent = text;
    field.dataset.messageId = message.id;
    var after = counterOf(field, false) || field;
    after.insertAdjacentElement("afterend", message);
  }

  // Every over-long field of a form gets its message; the first is focused. False when any is over.
  function checkForm(form) {
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll("[data-max-chars]"), function (field) {
      if (check(field)) return;
      var max = parseInt(field.dataset.maxChars, 10);
      var n = count(field.value);
      say(field, labelOf(field) + " is " + format(n - max) + " character" + (n - max === 1 ? "" : "s") +
        " too long (" + format(n) + " / " + format(max) + "). Nothing was saved and nothing was cut: shorten it, then save.");
      if (!first) first = field;
    });
    if (first) first.focus();
    return !first;
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field && field.dataset && field.dataset.maxChars) check(field);
  });

  // Capture phase on the document: runs before htmx's and the editor's own submit handlers.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.querySelector || !form.querySelector("[data-max-chars]")) return;
    if (checkForm(form)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    delete form.dataset.submitting; // the editor's "saving" guard: the form stays open for shortening
  }, true);

  // htmx requests not started by a submit event (e.g. hx-trigger on change) are checked too.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (!form || !form.querySelector("[data-max-chars]") || event.detail.requestConfig.verb === "get") return;
    if (!checkForm(form)) {
      event.preventDefault();
      delete form.dataset.submitting;
    }
  });

  function scan(root) {
    root = root || document;
    if (root.matches && root.matches("[data-max-chars]")) check(root);
    if (root.querySelectorAll) Array.prototype.forEach.call(root.querySelectorAll("[data-max-chars]"), check);
  }

  // Stage names wrap rather than being cut, so the stage row of a map grows with the longest one; the step
  // row sticks right below it (--stage-h, static/css/app.css), whatever its height.
  function stickSteps(root) {
    root = root || document;
    var grids = root.matches && root.matches(".map-scroll") ? [root] : Array.prototype.slice.call(
      root.querySelectorAll ? root.querySelectorAll(".map-scroll") : []);
    grids.forEach(function (scroll) {
      var corner = scroll.querySelector(".map__corner--stage");
      var steps = scroll.querySelector(".map__corner--step");
      if (!corner || corner.dataset.observed || !window.ResizeObserver) return;
      corner.dataset.observed = "1";
      var observer = new ResizeObserver(function () {
        scroll.style.setProperty("--stage-h", corner.offsetHeight + "px");
        // Both header rows stick: what scrolls into view (a focused card or header) stops below them.
        scroll.style.setProperty("--sticky-h", corner.offsetHeight + (steps ? steps.offsetHeight : 0) + "px");
      });
      observer.observe(corner);
      if (steps) observer.observe(steps);
    });
  }

  // Fields rendered with text already near or over the limit (a refused save) show their counter at once.
  function start() { scan(); stickSteps(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:load", function (event) {
    scan(event.detail && event.detail.elt);
    stickSteps(event.detail && event.detail.elt);
  });

  window.throughlineText = { count: count, check: check, checkForm: checkForm };
})();
