// The living map editor on journeys:map: what HTMX does not do by itself.
//
// * Inline forms: a click (or Enter) on a card opens it as a form (journeys:editor_card_edit); Enter saves,
//   Shift+Enter breaks the line, Esc cancels, leaving the form saves what changed. Header popovers alike.
// * Drag and drop of cards between cells and of stage, step and lane headers, with a drop indicator; the
//   same moves from the keyboard (Alt+arrows on a focused card or header) with an aria-live announcement.
// * Undo: a deletion's toast offers "Undo" (journeys:trash_restore); Ctrl/Cmd+Z undoes the last deletion
//   made on this page; "Recently deleted" in the toolbar lists older ones.
// * Grid swaps keep the scroll position and the focus; the server names what to focus (editor:focus).
// * Revisions: each answer says which revision the page now shows (editor:saved). A live change
//   (throughline:change from live.js) the page already shows is cancelled, so live.js does not re-fetch.
// * 409 (a conflict: their version beside yours) and 422 (a field error) are swapped like 200.
// The comment side panel (journeys:card_comments) works for everyone who sees the map, viewers included.
(function () {
  "use strict";

  var htmx = window.htmx;
  if (!htmx) return;

  htmx.config.responseHandling.unshift(
    { code: "409", swap: true, error: false },
    { code: "422", swap: true, error: false }
  );

  var editor = document.getElementById("editor"); // only rendered for people who may edit
  var TOAST_MS = 8000;
  var stash = {}; // form id -> the HTML it replaced, for Esc
  var undoStack = []; // deletions made on this page: {url, label}
  var pending = 0; // writes in flight
  var missedRevision = 0; // the newest live change seen while writes were in flight
  var refreshWanted = false;
  var restore = null; // scroll and focus across a grid swap
  var focusAtSend = null; // what had focus when the last write was sent (see editor:focus)
  var dragging = null;

  function grid() { return document.getElementById("map-grid"); }
  function shownRevision() { var g = grid(); return g ? parseInt(g.dataset.revision, 10) || 0 : 0; }
  function url(name, id) { return editor.dataset[name].replace(/\/0\//, "/" + id + "/"); }
  function byKey(key) { return key ? document.getElementById(key.replace(":", "-")) : null; }

  function isTyping(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function focusQuietly(element) {
    if (!element) return;
    element.focus({ preventScroll: true });
    if (element.scrollIntoView) element.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // ---------------------------------------------------------------------------------- overlay view (everyone)
  // The map's view (?view=evidence | metrics, .map-page[data-view]) goes with every HTMX request of the page
  // (X-Map-View), so a grid, cells or card swapped in after an edit or a live update keep the view's badges.
  document.addEventListener("htmx:configRequest", function (event) {
    var page = document.querySelector(".map-page[data-view]");
    if (page && page.dataset.view) event.detail.headers["X-Map-View"] = page.dataset.view;
  });

  // ---------------------------------------------------------------------------------- side panel (everyone)

  function closePanel() {
    var panel = document.getElementById("side-panel");
    if (panel && !panel.hidden) {
      panel.hidden = true;
      var id = panel.querySelector("[data-card-id]");
      var card = id && document.getElementById("card-" + id.dataset.cardId);
      if (card) focusQuietly(card);
    }
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    // A comment added, resolved or deleted: the card's badge shows the new count.
    var elt = event.detail.elt;
    var panel = elt && elt.closest && elt.closest("#side-panel");
    if (!panel || event.detail.requestConfig.verb === "get" || !event.detail.successful) return;
    var section = panel.querySelector("[data-card-id]");
    var card = section && document.getElementById("card-" + section.dataset.cardId);
    if (card && card.tagName === "ARTICLE" && panel.dataset.cardUrl) {
      var path = panel.dataset.cardUrl.replace(/\/0\//, "/" + section.dataset.cardId + "/");
      htmx.ajax("GET", path, { target: card, swap: "outerHTML", source: card });
    }
  });

  // A card's comment button or badge: its threads in the side panel.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-card-action=comments]");
    var card = button && button.closest("article.card[data-card-id]");
    var panel = document.getElementById("side-panel");
    if (!card || !panel) return;
    var path = panel.dataset.commentsUrl.replace(/\/0\/comments\//, "/" + card.dataset.cardId + "/comments/");
    htmx.ajax("GET", path, { target: "#side-panel-body", swap: "innerHTML", source: button });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var panel = document.getElementById("side-panel");
    var busy = event.target.closest && event.target.closest("#map-grid form, #map-grid details[open]");
    if (panel && !panel.hidden && !busy) {
      event.preventDefault();
      closePanel();
    }
  });

  if (!editor) return;

  // ---------------------------------------------------------------------------------- status and toasts

  var statusText = editor.querySelector(".editor-bar__status-text");
  var statusBox = document.getElementById("editor-status");

  function setStatus(state) {
    if (!statusBox) return;
    statusBox.dataset.state = state;
    statusText.textContent = state === "saving" ? "Saving…" : state === "error" ? "Not saved" : "All changes saved";
  }

  function announce(text) {
    var box = document.getElementById("editor-announcer");
    if (!box) return;
    box.textContent = "";
    setTimeout(function () { box.textContent = text; }, 30);
  }

  function toast(text, options) {
    options = options || {};
    var box = document.getElementById("editor-toasts");
    if (!box) return null;
    var item = document.createElement("div");
    item.className = "editor-toast editor-toast--" + (options.tone || "info");
    var body = document.createElement("span");
    body.className = "editor-toast__text";
    body.dir = "auto"; // may quote a title typed in a right-to-left script
    body.textContent = text;
    item.appendChild(body);
    if (options.action) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "editor-toast__action";
      button.textContent = options.action.label;
      button.addEventListener("click", function () {
        dismiss();
        options.action.run();
      });
      item.appendChild(button);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "editor-toast__close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", dismiss);
    item.appendChild(close);
    box.appendChild(item);
    while (box.children.length > 3) box.firstElementChild.remove();
    var timer = setTimeout(dismiss, options.timeout || TOAST_MS);
    item.addEventListener("mouseenter", function () { clearTimeout(timer); });
    item.addEventListener("mouseleave", function () { timer = setTimeout(dismiss, 2500); });
    function dismiss() {
      clearTimeout(timer);
      item.classList.add("is-leaving");
      setTimeout(function () { item.remove(); }, 200);
    }
    item.dismiss = dismiss; // an undo toast goes once its undo is no longer possible (undo())
    return item;
  }

  // ---------------------------------------------------------------------------------- one request at a time

  // Moves, deletions and undo go out one after another from the toolbar element (it outlives grid swaps),
  // each reading the versions it sends from the grid as it is when its turn comes.
  var queue = [];
  var busy = false;

  function run(task) {
    queue.push(task);
    if (!busy) next();
  }

  function next() {
    var task = queue.shift();
    if (!task) { busy = false; return; }
    busy = true;
    var done = function () { setTimeout(next, 0); };
    var promise = task();
    if (promise && promise.then) promise.then(done, done); else done();
  }

  function send(verb, path, values, options) {
    options = options || {};
    return htmx.ajax(verb, path, {
      source: editor,
      target: options.target || "#map-grid",
      swap: options.swap || "outerHTML",
      values: values || {},
    });
  }

  function refreshGrid() {
    if (isEditing()) { refreshWanted = true; return; }
    refreshWanted = false;
    run(function () { return send("GET", editor.dataset.gridUrl); });
  }

  function isEditing() {
    var g = grid();
    if (!g) return false;
    if (g.querySelector("[data-editing]")) return true;
    return g.contains(document.activeElement) && isTyping(document.activeElement);
  }

  // ---------------------------------------------------------------------------------- requests and revisions

  function isWrite(detail) {
    return detail && detail.requestConfig && detail.requestConfig.verb !== "get";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (isWrite(event.detail)) focusAtSend = document.activeElement;
    if (isWrite(event.detail) && !(elt.closest && elt.closest("#side-panel"))) {
      pending += 1;
      setStatus("saving");
    }
    // A header's menu item: close the menu; only one popover form at a time.
    var menu = elt.closest && elt.closest("details.el-menu");
    if (menu) menu.removeAttribute("open");
    if (elt.closest && elt.closest(".el-menu") && event.detail.requestConfig.verb === "get") {
      document.querySelectorAll("#map-grid .element-pop").forEach(function (form) { form.remove(); });
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (isWrite(event.detail) && !(elt.closest && elt.closest("#side-panel"))) {
      pending = Math.max(0, pending - 1);
      if (event.detail.failed) setStatus("error");
      else if (!pending) setStatus("saved");
      htmx.trigger(document.body, "editor:activity");
    }
    setTimeout(reconcile, 40);
  });

  document.addEventListener("htmx:sendError", function () {
    setStatus("error");
    toast("Could not reach the server: nothing was saved. Check your connection and try again.", { tone: "error" });
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var text = status === 403 ? "You can no longer edit this map: your access changed. Reload to see it as it is."
      : status === 404 ? "That is no longer on the map: someone deleted it meanwhile."
      : "Something went wrong on our side; nothing was changed. Try again.";
    toast(text, { tone: "error" });
    document.querySelectorAll("#map-grid .is-leaving").forEach(function (el) { el.classList.remove("is-leaving"); });
    if (status === 404) refreshGrid();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && editor.dataset.loginUrl && xhr.responseURL.indexOf(editor.dataset.loginUrl) !== -1) {
      // Signed out meanwhile: the answer is the login page, not a fragment.
      event.detail.shouldSwap = false;
      window.location.reload();
      return;
    }
    var target = event.detail.target;
    if (target && target.id === "map-grid" && event.detail.shouldSwap) {
      var active = document.activeElement;
      restore = {
        left: target.scrollLeft,
        top: target.scrollTop,
        focus: active && target.contains(active) ? (active.id || (active.closest("[id]") || {}).id) : null,
      };
    }
  });

  document.addEventListener("htmx:afterSwap", function () {
    var g = grid();
    if (restore && g) {
      g.scrollLeft = restore.left;
      g.scrollTop = restore.top;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (restore) {
      var wanted = restore.focus && document.getElementById(restore.focus);
      if (wanted && (document.activeElement === document.body || !document.activeElement)) focusQuietly(wanted);
      restore = null;
    }
    if (refreshWanted && !isEditing()) refreshGrid();
  });

  // The server names what to focus after a write (a new card, a moved header). Only where focus still is
  // where the write left it: on the page body (the form was swapped away), on what sent it, or where the
  // grid's settle put it back (map-keys.js) after the swap. A person who
  // has moved on meanwhile (clicked or tabbed to another card) keeps their place; a quick Alt+arrow then
  // moves what they chose, not the card just added.
  document.body.addEventListener("editor:focus", function (event) {
    var element = byKey(event.detail && event.detail.key);
    var active = document.activeElement;
    var sender = focusAtSend;
    focusAtSend = null;
    var restored = window.throughlineMapKeys && window.throughlineMapKeys.focusRestored();
    if (element && (!active || active === document.body || active === sender || restored)) focusQuietly(element);
  });

  document.body.addEventListener("editor:saved", function (event) {
    var revision = event.detail && event.detail.revision;
    var g = grid();
    if (!revision || !g) return;
    var shown = shownRevision();
    if (revision === shown + 1) {
      g.dataset.revision = String(revision); // a fragment answer: the one change is ours
    } else if (revision > shown) {
      refreshGrid(); // someone else changed the map in between: fetch it whole
    }
    var head = document.querySelector("#journey-revision dd");
    if (head && revision > (parseInt(head.textContent, 10) || 0)) head.textContent = String(revision);
  });

  document.body.addEventListener("editor:notice", function (event) {
    if (event.detail && event.detail.text) toast(event.detail.text, { tone: event.detail.tone || "error" });
  });

  document.addEventListener("throughline:change", function (event) {
    var change = event.detail;
    if (!change || !change.revision) return;
    if (change.revision <= shownRevision()) {
      event.preventDefault(); // already on screen (usually our own write)
    } else if (pending > 0 || busy) {
      missedRevision = Math.max(missedRevision, change.revision);
      event.preventDefault(); // our answer is on its way; reconcile() fetches the rest if needed
    }
  });

  function reconcile() {
    if (pending > 0 || busy) return;
    if (missedRevision > shownRevision()) {
      missedRevision = 0;
      refreshGrid();
    }
  }

  // An open menu in the grid counts as editing: live.js waits before replacing the grid under it.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.closest("#map-grid")) return;
    if (details.open) {
      details.setAttribute("data-editing", "menu");
      placeMenu(details);
    }
    else {
      details.removeAttribute("data-editing");
      document.dispatchEvent(new CustomEvent("throughline:editing-done"));
    }
  }, true);

  // A menu near the bottom or right edge of the map slides up or opens leftwards, so it stays in view.
  function placeMenu(details) {
    var panel = details.querySelector(":scope > .menu__panel");
    var view = grid() && grid().getBoundingClientRect();
    if (!panel || !view) return;
    panel.classList.remove("is-left");
    panel.style.transform = "";
    var box = panel.getBoundingClientRect();
    var overflow = box.bottom - (view.bottom - 8);
    if (overflow > 0) panel.style.transform = "translateY(-" + Math.max(0, Math.min(overflow, box.top - view.top - 8)) + "px)";
    if (box.right > view.right - 8) panel.classList.add("is-left");
  }

  // ---------------------------------------------------------------------------------- undo

  document.body.addEventListener("editor:deleted", function (event) {
    var item = event.detail;
    if (!item || !item.url) return;
    var entry = { url: item.url, label: item.label + " “" + truncate(item.title, 40) + "”" };
    undoStack.push(entry);
    if (undoStack.length > 20) undoStack.shift();
    var what = deletedWhat(item);
    announce(what + ". Press Control Z to undo, or put it back later from Recently deleted.");
    entry.toast = toast(what + ". Undo, or find it in Recently deleted.", {
      action: { label: "Undo", run: function () { undo(entry); } },
      timeout: TOAST_MS + 4000,
    });
  });

  // "Lane “Pain points” deleted with 8 cards": what went with the element, so nobody loses more than they meant.
  function deletedWhat(item) {
    var parts = [];
    if (item.steps) parts.push(plural(item.steps, "step"));
    if (item.cards) parts.push(plural(item.cards, "card"));
    if (item.comments) parts.push(plural(item.comments, "comment"));
    var text = item.label + " “" + truncate(item.title, 60) + "” deleted";
    return parts.length ? text + " with " + joinWords(parts) : text;
  }

  function plural(n, word) { return n.toLocaleString("en-US") + " " + word + (n === 1 ? "" : "s"); }

  function joinWords(parts) {
    return parts.length < 2 ? parts.join("") : parts.slice(0, -1).join(", ") + " and " + parts[parts.length - 1];
  }

  // Deleting a stage, step or lane that holds something asks first, naming what goes with it (the menu item
  // carries the question in data-confirm-delete). A modal <dialog> that works by keyboard: focus starts on
  // "Keep it" (Enter keeps), Tab reaches the delete button; Esc cancels; focus returns to the menu button.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var question = elt && elt.dataset && elt.dataset.confirmDelete;
    if (!question) return;
    event.preventDefault();
    // The menu closes first (one layer at a time: Esc then cancels the dialog, not the menu), and focus
    // comes back to its button when the dialog closes.
    var menu = elt.closest("details.menu");
    var back = menu ? menu.querySelector(":scope > summary") : elt;
    if (menu) menu.removeAttribute("open");
    confirmDelete(question, elt.dataset.confirmAction || "Delete", back, function () { event.detail.issueRequest(true); });
  });

  function confirmDelete(question, actionLabel, back, proceed) {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-text");
    var text = document.createElement("p");
    text.id = "confirm-dialog-text";
    text.className = "confirm-dialog__text";
    text.dir = "auto";
    text.textContent = question;
    var hint = document.createElement("p");
    hint.className = "confirm-dialog__hint";
    hint.textContent = "You can put it back from Recently deleted.";
    var foot = document.createElement("form");
    foot.method = "dialog";
    foot.className = "confirm-dialog__foot";
    var keep = document.createElement("button");
    keep.className = "btn btn--sm";
    keep.value = "keep";
    keep.textContent = "Keep it";
    var go = document.createElement("button");
    go.className = "btn btn--sm btn--danger";
    go.value = "delete";
    go.textContent = actionLabel;
    foot.append(keep, go);
    dialog.append(text, hint, foot);
    document.body.appendChild(dialog);
    dialog.addEventListener("close", function () {
      var confirmed = dialog.returnValue === "delete";
      dialog.remove();
      if (back && document.body.contains(back)) focusQuietly(back);
      if (confirmed) proceed();
    });
    dialog.showModal();
    keep.focus(); // the safe choice under a stray Enter; Tab reaches the delete button
  }

  function truncate(text, length) {
    text = String(text || "");
    return text.length > length ? text.slice(0, length - 1) + "…" : text;
  }

  function undo(entry) {
    var index = undoStack.indexOf(entry);
    if (index !== -1) undoStack.splice(index, 1);
    if (entry.toast) entry.toast.dismiss(); // however it was undone (Ctrl+Z, the toast, Recently deleted)
    run(function () { return send("POST", entry.url, {}, { swap: "none", target: editor }); });
  }

  document.body.addEventListener("map-changed", function () { refreshGrid(); });

  document.body.addEventListener("trash-restored", function (event) {
    var detail = event.detail || {};
    announce("Put back.");
    var focusAfter = function () {
      document.removeEventListener("htmx:afterSettle", focusAfter);
      var element = document.getElementById(detail.kind + "-" + detail.id);
      if (element) focusQuietly(element);
    };
    document.addEventListener("htmx:afterSettle", focusAfter);
    var trashMenu = editor.querySelector(".trash-menu");
    if (trashMenu && trashMenu.open) htmx.trigger(trashMenu, "toggle");
  });

  document.body.addEventListener("trash-restore-failed", function (event) {
    toast((event.detail && event.detail.message) || "This cannot be put back.", { tone: "error" });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-undo-url]");
    if (!button) return;
    button.disabled = true;
    var known = undoStack.filter(function (entry) { return entry.url === button.dataset.undoUrl; })[0];
    undo(known || { url: button.dataset.undoUrl, label: button.dataset.undoLabel });
  });

  // ---------------------------------------------------------------------------------- inline forms

  // The card as the server sent it, without the shared toolbar map-keys.js may have moved into it.
  function ownHTML(card) {
    var copy = card.cloneNode(true);
    copy.querySelectorAll(":scope > .card__tools").forEach(function (bar) { bar.remove(); });
    return copy.outerHTML;
  }

  function openCard(card) {
    if (!card || card.tagName !== "ARTICLE" || !card.dataset.cardId) return;
    stash[card.id] = ownHTML(card);
    htmx.ajax("GET", url("cardEditUrl", card.dataset.cardId), { target: card, swap: "outerHTML", source: card });
  }

  function openHeader(header) {
    var menu = header && header.querySelector("details.el-menu");
    if (menu) fillMenu(menu);
    var item = menu && menu.querySelector(".menu__item[hx-get]");
    if (item) item.click();
  }

  // A new card in this cell: its form (journeys:editor_card_new) in place of the cell's "Add card" button.
  function addCardIn(cell) {
    if (!cell || !cell.dataset.stepId) return;
    var open = document.getElementById("card-new-form");
    if (open && !open.dataset.submitting) cancelForm(open);
    var slot = cell.querySelector(":scope > .cell-add") || cell.appendChild(document.createElement("span"));
    var path = editor.dataset.cardNewUrl + "?lane=" + encodeURIComponent(cell.dataset.laneId) + "&step=" + encodeURIComponent(cell.dataset.stepId);
    htmx.ajax("GET", path, { source: cell, target: slot, swap: "outerHTML" });
  }

  function dirty(form) {
    return Array.prototype.some.call(form.elements, function (field) {
      if (field.type === "hidden" || !field.name) return false;
      if (field.type === "radio" || field.type === "checkbox") return field.checked !== field.defaultChecked;
      if (field.tagName === "SELECT") {
        return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return field.value !== field.defaultValue;
    });
  }

  function submit(form) {
    if (form.dataset.submitting) return;
    form.dataset.submitting = "1";
    // A fast typist can press Enter before htmx has processed a just-swapped form; process it now so the
    // save goes through htmx (idempotent when it already has).
    if (window.htmx) window.htmx.process(form);
    form.requestSubmit();
  }

  function putBack(form, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var element = holder.firstElementChild;
    form.replaceWith(element);
    htmx.process(element);
    return element;
  }

  function cancelForm(form) {
    delete form.dataset.submitting;
    var done = function (focus) {
      document.dispatchEvent(new CustomEvent("throughline:editing-done"));
      if (focus) focusQuietly(focus);
    };
    if (form.matches("[data-element-form]")) {
      var header = form.parentElement;
      form.remove();
      if (form.querySelector(".conflict")) refreshGrid();
      return done(header);
    }
    if (form.querySelector(".conflict")) {
      var keep = form.querySelector("[data-keep-theirs][hx-get]");
      if (keep) keep.click(); else { form.removeAttribute("data-editing"); refreshGrid(); }
      return done(null);
    }
    if (stash[form.id]) {
      var html = stash[form.id];
      delete stash[form.id];
      return done(putBack(form, html));
    }
    if (form.dataset.cardId) {
      htmx.ajax("GET", url("cardUrl", form.dataset.cardId), { target: form, swap: "outerHTML", source: form });
      return done(null);
    }
    var cell = form.closest(".map__cell");
    form.remove();
    done(null);
    // A new card given up (Esc): focus goes back to its cell (its first card, or the cell when empty);
    // not when the person has gone elsewhere (leaving an empty new card gives it up too).
    var lost = !document.activeElement || document.activeElement === document.body;
    if (cell && lost && window.throughlineMapKeys) window.throughlineMapKeys.focusItem(cell.querySelector(":scope > article.card") || cell);
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    // A form's answer replaced it (saved card): its stash is stale now.
    var target = event.detail.target;
    if (target && target.id && stash[target.id] && !document.querySelector("form#" + CSS.escape(target.id))) {
      delete stash[target.id];
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var form = target.closest && target.closest("form[data-card-form], form[data-element-form]");
    if (form) {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        cancelForm(form);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && target.tagName === "TEXTAREA") {
        event.preventDefault();
        submit(form);
      }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-card-form], form[data-element-form]")) form.dataset.submitting = "1";
  }, true);

  document.addEventListener("focusout", function (event) {
    var form = event.target.closest && event.target.closest("form[data-card-form], form[data-element-form]");
    if (!form) return;
    if (event.relatedTarget && form.contains(event.relatedTarget)) return;
    setTimeout(function () {
      if (!document.body.contains(form) || form.contains(document.activeElement) || form.dataset.submitting) return;
      if (form.querySelector(".conflict")) return; // a conflict waits for a decision
      if (!document.hasFocus()) return; // switched windows: come back to the form as it is
      if (form.matches("[data-card-form]") && !form.querySelector("textarea[name=text]").value.trim()) {
        if (!form.dataset.cardId) return cancelForm(form); // an empty new card: nothing to add
      }
      if (dirty(form)) submit(form); else cancelForm(form);
    }, 0);
  });

  // ---------------------------------------------------------------------------------- clicks on the grid

  // An emotion card's score picker: the map carries its panel once (<template id="score-picker">); the
  // card's copy is made as it opens (a click or Enter on its summary, before the <details> toggles), with
  // the card's edit URL, version and score.
  function fillScorePicker(details) {
    var card = details.closest("article.card[data-card-id]");
    var template = document.getElementById("score-picker");
    if (!card || !template || details.querySelector(".score-picker__panel")) return;
    var form = template.content.firstElementChild.cloneNode(true);
    var score = details.dataset.score || "";
    form.setAttribute("hx-post", url("cardEditUrl", card.dataset.cardId));
    form.querySelector("[name=expected_version]").value = card.dataset.version;
    form.querySelector("[name=base_emotion_score]").value = score;
    form.querySelectorAll(".score-picker__scale button").forEach(function (button) {
      var current = score !== "" && button.value === score;
      button.classList.toggle("is-current", current);
      button.setAttribute("aria-pressed", current ? "true" : "false");
    });
    if (score === "") form.querySelector(".score-picker__clear").remove();
    details.appendChild(form);
    htmx.process(form);
  }

  document.addEventListener("click", function (event) {
    var summary = event.target.closest && event.target.closest("details.score-picker > summary");
    if (summary) fillScorePicker(summary.parentElement);
    var menu = event.target.closest && event.target.closest("details.el-menu > summary");
    if (menu && !menu.parentElement.open) fillMenu(menu.parentElement);
  }, true);

  // A header's menu: the map carries each kind's menu once (<template id="menu-stage|step|lane">,
  // templates/journeys/editor/_shared.html); the header's copy is made each time it opens (a click, Enter
  // or M on its button, before the <details> toggles), so what it says is what the map shows now: the
  // header's URLs (the `/0/` of items marked data-id="stage|step|lane"), its position, its version, and
  // what deleting it takes along, counted on the page.
  function fillMenu(details) {
    var header = details.closest("[data-drag]");
    var kind = header && header.dataset.drag;
    var template = kind && document.getElementById("menu-" + kind);
    if (!template) return;
    var old = details.querySelector(":scope > .menu__panel");
    if (old) old.remove();
    var panel = template.content.firstElementChild.cloneNode(true);
    var all = headersOf(kind);
    var index = all.indexOf(header);
    var siblings = kind === "step" ? all.filter(function (el) { return el.dataset.stageId === header.dataset.stageId; }) : all;
    var title = headerTitle(kind, header);
    panel.querySelectorAll("[data-id]").forEach(function (el) {
      var id = header.dataset[el.dataset.id + "Id"];
      ["hx-get", "hx-post", "href"].forEach(function (name) {
        var value = el.getAttribute(name);
        if (value) el.setAttribute(name, value.replace("/0/", "/" + id + "/"));
      });
    });
    panel.querySelectorAll("[data-position=after]").forEach(function (el) {
      el.setAttribute("hx-vals", JSON.stringify({ position: siblings.indexOf(header) + 1 }));
    });
    if (kind !== "step") {
      panel.querySelector("[data-move=prev]").disabled = index === 0;
      panel.querySelector("[data-move=next]").disabled = index === all.length - 1;
    }
    if (header.hasAttribute("data-has-sub")) panel.querySelectorAll("[data-unless-sub]").forEach(function (el) { el.remove(); });
    panel.querySelectorAll("[data-kind]").forEach(function (chip) {
      var current = chip.dataset.kind === header.dataset.laneKind;
      chip.setAttribute("hx-vals", JSON.stringify({ kind: chip.dataset.kind, base_kind: header.dataset.laneKind, expected_version: Number(header.dataset.version) }));
      chip.classList.toggle("is-current", current);
      chip.setAttribute("aria-pressed", current ? "true" : "false");
      chip.disabled = current;
    });
    var kinds = panel.querySelector(".kind-grid");
    if (kinds) kinds.setAttribute("aria-label", "Change the kind of " + title);
    var remove = panel.querySelector("[data-delete]");
    if (remove) {
      remove.setAttribute("hx-vals", JSON.stringify({ expected_version: Number(header.dataset.version) }));
      var holds = contents(kind, header);
      var question = deleteQuestion(kind, title, holds);
      if (question) remove.dataset.confirmDelete = question;
      if (holds.cards) {
        var count = document.createElement("span");
        count.className = "menu__count";
        count.textContent = plural(holds.cards, "card");
        remove.append(" ", count);
      }
    }
    details.appendChild(panel);
    htmx.process(panel);
  }

  function headerTitle(kind, header) {
    var title = header.querySelector(".map__" + kind + "-title");
    return title ? title.textContent.trim() : "";
  }

  // What deleting a header takes along, as the page shows it: {steps, cards}.
  function contents(kind, header) {
    var g = grid();
    var id = header.dataset[kind + "Id"];
    var cards = function (selector) { return g.querySelectorAll(selector + " > article.card, " + selector + " > form.card[data-card-id]").length; };
    if (kind === "lane") return { steps: 0, cards: cards('.map__cell[data-lane-id="' + id + '"]') };
    if (kind === "step") return { steps: 0, cards: cards('.map__cell[data-step-id="' + id + '"]') };
    var steps = headersOf("step").filter(function (el) { return el.dataset.stageId === id; });
    var total = 0;
    steps.forEach(function (step) { total += cards('.map__cell[data-step-id="' + step.dataset.stepId + '"]'); });
    return { steps: steps.length, cards: total };
  }

  // "Delete the lane “Pain points” and its 8 cards?", or "" when nothing would go with it (a new stage
  // comes with one empty step: nothing to lose; any deletion is undone as easily).
  function deleteQuestion(kind, title, holds) {
    if (!holds.cards && holds.steps <= 1) return "";
    var parts = holds.steps ? [plural(holds.steps, "step")] : [];
    if (holds.cards) parts.push(plural(holds.cards, "card"));
    return "Delete the " + kind + " “" + title + "” and its " + parts.join(" and ") + "?";
  }

  document.addEventListener("click", function (event) {
    var g = grid();
    if (!g || !g.contains(event.target)) return;
    var cancel = event.target.closest("[data-cancel], [data-keep-theirs]:not([hx-get])");
    if (cancel) {
      var form = cancel.closest("form");
      if (form) cancelForm(form);
      return;
    }
    var adding = event.target.closest(".cell-add");
    if (adding) {
      addCardIn(adding.closest(".map__cell"));
      return;
    }
    var tool = event.target.closest("[data-card-action]");
    if (tool) {
      var owner = tool.closest("article.card");
      if (tool.dataset.cardAction === "edit") openCard(owner);
      else if (tool.dataset.cardAction === "delete") deleteCard(owner);
      return;
    }
    var mover = event.target.closest("[data-move]");
    if (mover) {
      var header = mover.closest("[data-drag]");
      var menu = mover.closest("details");
      if (menu) menu.removeAttribute("open");
      moveHeader(header, mover.dataset.move === "prev" ? -1 : 1);
      return;
    }
    if (event.target.closest("a, button, summary, details, input, textarea, select, label, form")) return;
    var card = event.target.closest("article.card[data-card-id]");
    if (card && tapSelected === card) return; // a first tap shows the card's tools; the next one edits
    if (card) openCard(card);
  });

  // Touch screens have no hover: a tap on a card that does not show the toolbar yet selects it (map-keys.js
  // moves the toolbar in: comments, edit, delete); a tap on the selected card opens it for editing.
  var tapSelected = null;
  document.addEventListener("pointerdown", function (event) {
    var card = event.pointerType === "touch" && event.target.closest && event.target.closest("article.card[data-card-id]");
    tapSelected = card && !card.querySelector(":scope > .card__tools:not([hidden])") ? card : null;
  }, true);

  document.addEventListener("dblclick", function (event) {
    var g = grid();
    if (!g || !g.contains(event.target) || event.target.closest("details, form, button")) return;
    var header = event.target.closest(".map__stage, .map__step[data-step-id], .map__lane");
    if (header) openHeader(header);
  });

  function deleteCard(card) {
    if (!card || !card.dataset.cardId) return;
    card.classList.add("is-leaving");
    run(function () {
      return send("POST", url("cardDeleteUrl", card.dataset.cardId), { expected_version: card.dataset.version });
    });
  }

  // ---------------------------------------------------------------------------------- keyboard

  var ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (isTyping(target) || (target.closest && target.closest("form"))) return;

    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && (event.key === "z" || event.key === "Z")) {
      event.preventDefault();
      // In the queue, after any save still on its way: Delete then Ctrl+Z at once undoes that delete (its
      // answer brings the undo entry), not "nothing to undo".
      run(function () {
        var entry = undoStack.pop();
        if (entry) {
          announce("Undoing: " + entry.label);
          undo(entry);
        } else {
          toast("Nothing to undo on this page. Older deletions are under Recently deleted.", { tone: "info", timeout: 4000 });
        }
      });
      return;
    }

    var g = grid();
    if (!g || !g.contains(target)) return;
    var card = target.matches("article.card[data-card-id]") ? target : null;
    var header = target.matches("[data-drag]") ? target : null;

    if (event.altKey && ARROWS[event.key] && (card || header)) {
      event.preventDefault();
      var delta = ARROWS[event.key];
      if (card) moveCardBy(card, delta[0], delta[1]);
      else if (header.dataset.drag === "lane" && delta[1]) moveHeader(header, delta[1]);
      else if (header.dataset.drag !== "lane" && delta[0]) moveHeader(header, delta[0]);
      return;
    }
    if (event.key === "Enter" && (card || header)) {
      event.preventDefault();
      if (card) openCard(card); else openHeader(header);
    } else if ((event.key === "Delete" || event.key === "Backspace") && card) {
      event.preventDefault();
      deleteCard(card);
    } else if ((event.key === "c" || event.key === "C") && card && !event.ctrlKey && !event.metaKey) {
      var comments = card.querySelector("[data-card-action=comments]");
      if (comments) { event.preventDefault(); comments.click(); }
    }
  });

  // ---------------------------------------------------------------------------------- moves

  function stepIds() {
    return Array.prototype.map.call(grid().querySelectorAll(".map__step[data-step-id]"), function (el) {
      return el.dataset.stepId;
    });
  }

  function laneIds() {
    return Array.prototype.map.call(grid().querySelectorAll(".map__lane[data-lane-id]"), function (el) {
      return el.dataset.laneId;
    });
  }

  function cellOf(laneId, stepId) {
    return grid().querySelector('.map__cell[data-lane-id="' + laneId + '"][data-step-id="' + stepId + '"]');
  }

  function cardsIn(cell, except) {
    return Array.prototype.filter.call(cell.querySelectorAll(":scope > article.card"), function (c) {
      return c !== except;
    });
  }

  function titleOf(selector) {
    var element = grid().querySelector(selector);
    return element ? element.textContent.trim() : "";
  }

  function describeCard(id) {
    var card = document.getElementById("card-" + id);
    var cell = card && card.closest(".map__cell");
    if (!cell) return "Card moved.";
    var lane = titleOf('.map__lane[data-lane-id="' + cell.dataset.laneId + '"] .map__lane-title');
    var step = titleOf('.map__step[data-step-id="' + cell.dataset.stepId + '"] .map__step-title');
    var cards = cardsIn(cell, null);
    return "Card moved to " + lane + ", step " + step + ", position " + (cards.indexOf(card) + 1) + " of " + cards.length + ".";
  }

  function moveCardBy(card, dx, dy) {
    var cell = card.closest(".map__cell");
    if (!cell) return;
    var laneId = cell.dataset.laneId, stepId = cell.dataset.stepId;
    var index = cardsIn(cell, null).indexOf(card);
    var target = { to_lane: laneId, to_step: stepId, position: index };
    if (dx) {
      var steps = stepIds();
      var at = steps.indexOf(stepId) + dx;
      if (at < 0 || at >= steps.length) return announce(dx < 0 ? "Already in the first step." : "Already in the last step.");
      target.to_step = steps[at];
      target.position = Math.min(index, cardsIn(cellOf(laneId, steps[at]), card).length);
    } else if (dy < 0 && index > 0) {
      target.position = index - 1;
    } else if (dy > 0 && index < cardsIn(cell, null).length - 1) {
      target.position = index + 1;
    } else {
      var lanes = laneIds();
      var lane = lanes.indexOf(laneId) + dy;
      if (lane < 0 || lane >= lanes.length) return announce(dy < 0 ? "Already at the top." : "Already at the bottom.");
      target.to_lane = lanes[lane];
      var other = cellOf(lanes[lane], stepId);
      target.position = dy < 0 && other ? cardsIn(other, card).length : 0;
    }
    moveCard(card.dataset.cardId, target, true);
  }

  function moveCard(id, target, speak) {
    run(function () {
      var card = document.getElementById("card-" + id);
      if (!card || card.tagName !== "ARTICLE") return null;
      var values = { expected_version: card.dataset.version, position: target.position,
        to_lane: target.to_lane, to_step: target.to_step };
      return send("POST", url("cardMoveUrl", id), values).then(function () {
        if (speak) setTimeout(function () { announce(describeCard(id)); }, 60);
      });
    });
  }

  function headersOf(kind) {
    var selector = kind === "stage" ? ".map__stage[data-stage-id]" : kind === "step" ? ".map__step[data-step-id]" : ".map__lane[data-lane-id]";
    return Array.prototype.slice.call(grid().querySelectorAll(selector));
  }

  function moveHeader(header, delta) {
    if (!header) return;
    var kind = header.dataset.drag;
    var id = header.dataset[kind + "Id"];
    if (kind === "step") return moveStepBy(header, delta);
    var all = headersOf(kind);
    var index = all.indexOf(header) + delta;
    var words = kind === "stage" ? ["first", "last"] : ["top", "bottom"];
    if (index < 0 || index >= all.length) return announce("Already " + (delta < 0 ? "the " + words[0] : "the " + words[1]) + ".");
    moveElement(kind, id, { position: index }, true);
  }

  function moveStepBy(header, delta) {
    var stageId = header.dataset.stageId;
    var stages = headersOf("stage").map(function (el) { return el.dataset.stageId; });
    var inStage = headersOf("step").filter(function (el) { return el.dataset.stageId === stageId; });
    var index = inStage.indexOf(header) + delta;
    if (index >= 0 && index < inStage.length) return moveElement("step", header.dataset.stepId, { position: index }, true);
    var stage = stages.indexOf(stageId) + delta;
    if (stage < 0 || stage >= stages.length) return announce(delta < 0 ? "Already the first step." : "Already the last step.");
    var into = headersOf("step").filter(function (el) { return el.dataset.stageId === stages[stage]; });
    moveElement("step", header.dataset.stepId, { to_stage: stages[stage], position: delta < 0 ? into.length : 0 }, true);
  }

  function moveElement(kind, id, target, speak) {
    run(function () {
      var header = document.getElementById(kind + "-" + id);
      if (!header) return null;
      var values = { expected_version: header.dataset.version, position: target.position };
      if (target.to_stage) values.to_stage = target.to_stage;
      return send("POST", url(kind + "MoveUrl", id), values).then(function () {
        if (!speak) return;
        setTimeout(function () {
          var moved = document.getElementById(kind + "-" + id);
          var all = moved ? headersOf(kind) : [];
          announce(kind.charAt(0).toUpperCase() + kind.slice(1) + " moved to position " + (all.indexOf(moved) + 1) + " of " + all.length + ".");
        }, 60);
      });
    });
  }

  // ---------------------------------------------------------------------------------- drag and drop

  var indicator = document.createElement("div");
  indicator.className = "drop-line";
  indicator.setAttribute("aria-hidden", "true");

  function clearDrop() {
    indicator.remove();
    document.querySelectorAll(".is-drop-target, .drop-before, .drop-after").forEach(function (el) {
      el.classList.remove("is-drop-target", "drop-before", "drop-after");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var g = grid();
    var element = event.target;
    if (!g || !g.contains(element) || !element.matches || !element.matches("[draggable=true]")) return;
    if (element.querySelector("form") || element.matches("form")) { event.preventDefault(); return; }
    var kind = element.matches("article.card") ? "card" : element.dataset.drag;
    dragging = { kind: kind, element: element };
    element.setAttribute("data-editing", "dragging"); // live.js waits for the drop
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", kind + ":" + (element.dataset.cardId || element.dataset[kind + "Id"]));
    setTimeout(function () { element.classList.add("is-dragging"); }, 0);
  });

  document.addEventListener("dragend", function () {
    if (!dragging) return;
    dragging.element.classList.remove("is-dragging");
    dragging.element.removeAttribute("data-editing");
    dragging = null;
    clearDrop();
    document.dispatchEvent(new CustomEvent("throughline:editing-done"));
  });

  function dropSpot(event) {
    if (!dragging) return null;
    var over = event.target.closest && event.target.closest(
      dragging.kind === "card" ? ".map__cell[data-step-id]"
        : dragging.kind === "stage" ? ".map__stage"
          : dragging.kind === "step" ? ".map__step" : ".map__lane"
    );
    if (!over || !grid().contains(over)) return null;
    if (dragging.kind === "card") {
      var cards = cardsIn(over, dragging.element);
      var before = null;
      for (var i = 0; i < cards.length; i++) {
        var box = cards[i].getBoundingClientRect();
        if (event.clientY < box.top + box.height / 2) { before = cards[i]; break; }
      }
      return { over: over, before: before, position: before ? cards.indexOf(before) : cards.length };
    }
    if (over === dragging.element) return { over: over, same: true };
    var rect = over.getBoundingClientRect();
    var after = dragging.kind === "lane" ? event.clientY > rect.top + rect.height / 2 : event.clientX > rect.left + rect.width / 2;
    return { over: over, after: after };
  }

  document.addEventListener("dragover", function (event) {
    var spot = dropSpot(event);
    if (!spot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearDrop();
    if (spot.same) return;
    if (dragging.kind === "card") {
      spot.over.classList.add("is-drop-target");
      var anchor = spot.before || spot.over.querySelector(":scope > .cell-add, :scope > form");
      spot.over.insertBefore(indicator, anchor);
    } else {
      spot.over.classList.add(spot.after ? "drop-after" : "drop-before");
    }
  });

  document.addEventListener("drop", function (event) {
    var spot = dropSpot(event);
    if (!spot) return;
    event.preventDefault();
    var moving = dragging;
    clearDrop();
    if (spot.same) return;
    if (moving.kind === "card") {
      var card = moving.element;
      // Show it there at once; the grid the server answers with confirms it.
      spot.over.insertBefore(card, spot.before || spot.over.querySelector(":scope > .cell-add, :scope > form"));
      moveCard(card.dataset.cardId, { to_lane: spot.over.dataset.laneId, to_step: spot.over.dataset.stepId, position: spot.position });
      return;
    }
    var kind = moving.kind;
    var id = moving.element.dataset[kind + "Id"];
    if (kind === "step") {
      var stageId = spot.over.dataset.stageId;
      var steps = headersOf("step").filter(function (el) { return el.dataset.stageId === stageId && el !== moving.element; });
      var at = spot.over.dataset.stepId ? steps.indexOf(spot.over) + (spot.after ? 1 : 0) : 0;
      moveElement("step", id, { to_stage: stageId, position: Math.max(0, at) });
      return;
    }
    var others = headersOf(kind).filter(function (el) { return el !== moving.element; });
    moveElement(kind, id, { position: others.indexOf(spot.over) + (spot.after ? 1 : 0) });
  });
})();
