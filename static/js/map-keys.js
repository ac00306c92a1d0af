// Keyboard and touch access to the map grid (journeys:map), for everyone who sees the map.
//
// * One tab stop: the grid's cards, headers and empty cells share a roving tabindex. Tab enters the map at
//   the item last used (the first card at first); arrow keys move between cards across cells, lanes and
//   steps; Home/End go to the first/last item of the row. The focused item's own controls (its comment
//   badge, tools, header menu, sub-journey link) join the tab order while it is focused, so Tab reaches
//   them and then leaves the map. The templates render every focusable thing in the grid with
//   tabindex="-1", so a map of any size costs one tab stop.
// * Editors: Enter edits (editor.js), Enter on an empty cell or N on any cell adds a card there,
//   M opens a header's menu, Alt+arrows move (editor.js). Viewers: Enter or C opens a card's comments.
// * Touch and click: a viewer's tap on a card opens its comments; the comment button shows on touch screens.
// * Shared controls: the page has one card toolbar (<template id="card-tools">, templates/journeys/editor/
//   _shared.html: comments, and for editors edit and delete) and, for editors, one "Add card" button. They
//   are moved into the card (toolbar) and cell (add) that is hovered, focused or tapped, rather than being
//   rendered into every card and cell; so Tab from the focused card reaches its tools, and touch screens
//   show them on the card last tapped.
// Grid swaps (whole grid or fragments) keep one tab stop: the item last used, found again by its key.
(function () {
  "use strict";

  var ITEM = "article.card[data-card-id], .map__stage[data-stage-id], .map__step[data-step-id], .map__lane[data-lane-id], .map__cell[data-step-id]";
  var INNER = "a[href], button, summary";
  var current = null; // key of the item that holds the tab stop: "card-12", "stage-3", "cell-4-9" …
  var hadFocus = false;
  var restored = null; // the item settle() gave focus back to (the page put it there, not the person)

  function grid() { return document.getElementById("map-grid"); }
  function editing() { return !!document.getElementById("editor"); }

  function keyOf(item) {
    if (item.matches("article.card")) return "card-" + item.dataset.cardId;
    if (item.matches(".map__cell")) return "cell-" + item.dataset.laneId + "-" + item.dataset.stepId;
    if (item.matches(".map__stage")) return "stage-" + item.dataset.stageId;
    if (item.matches(".map__step")) return "step-" + item.dataset.stepId;
    return "lane-" + item.dataset.laneId;
  }

  function byKey(key) {
    var g = grid();
    if (!g || !key) return null;
    var parts = key.split("-");
    if (parts[0] === "card") return g.querySelector('article.card[data-card-id="' + parts[1] + '"]');
    if (parts[0] === "cell") return cellOf(parts[1], parts[2]);
    if (parts[0] === "stage") return g.querySelector('.map__stage[data-stage-id="' + parts[1] + '"]');
    if (parts[0] === "step") return g.querySelector('.map__step[data-step-id="' + parts[1] + '"]');
    return g.querySelector('.map__lane[data-lane-id="' + parts[1] + '"]');
  }

  // An item is what arrows move between: a card, a header, or a cell without cards (a cell with cards
  // is reached through them).
  function isItem(element) {
    if (!element || !element.matches || !element.matches(ITEM)) return false;
    return !element.matches(".map__cell") || !element.querySelector(":scope > article.card");
  }

  function itemOf(element) {
    var g = grid();
    for (var e = element; e && e !== g; e = e.parentElement) {
      if (isItem(e)) return e;
      if (e.matches && e.matches(".map__cell[data-step-id]")) return firstCard(e) || e;
    }
    return null;
  }

  function inner(item) {
    return Array.prototype.filter.call(item.querySelectorAll(INNER), function (element) {
      return !element.closest(".menu__panel, form") && itemOf(element) === item;
    });
  }

  // ------------------------------------------------------------------------------------------ shared controls

  var tools = null; // the one card toolbar, made from its <template> the first time it is needed
  var adder = null; // the one "Add card" button (editors)

  function sharedTools() {
    if (!tools) {
      var template = document.getElementById("card-tools");
      if (!template) return null;
      tools = template.content.firstElementChild.cloneNode(true);
    }
    return tools;
  }

  function sharedAdder() {
    if (!adder && editing()) {
      adder = document.createElement("button");
      adder.type = "button";
      adder.className = "cell-add";
      adder.setAttribute("tabindex", "-1");
      adder.innerHTML = '<svg class="icon icon--sm" aria-hidden="true"><use href="#i-plus"/></svg><span>Add card</span>';
    }
    return adder;
  }

  // The toolbar into this card: its comment button only where the card has no badge (the badge is the way
  // to its comments), and in the tab order while the card holds the map's tab stop.
  function toolsInto(card) {
    if (!card || !card.matches || !card.matches("article.card[data-card-id]")) return;
    var bar = sharedTools();
    if (!bar) return;
    if (bar.parentElement !== card) card.appendChild(bar);
    var comment = bar.querySelector(".card__tool--comment");
    if (comment) comment.hidden = !!card.querySelector(":scope > .card__badge");
    bar.hidden = !bar.querySelector("button:not([hidden])");
    var reach = card.getAttribute("tabindex") === "0" ? "0" : "-1";
    bar.querySelectorAll("button").forEach(function (button) { button.setAttribute("tabindex", reach); });
  }

  // The "Add card" button into this cell (not while a card form is open in it), named for its lane and step;
  // in the tab order while the (empty) cell holds the tab stop, as before (N adds from any card).
  function adderInto(cell) {
    var button = cell && cell.matches && cell.matches(".map__cell[data-step-id]") && sharedAdder();
    if (!button || cell.querySelector(":scope > form")) return null;
    if (button.parentElement !== cell) {
      cell.appendChild(button);
      button.setAttribute("aria-label", "Add a card to " + laneTitle(cell.dataset.laneId) + " at " + stepTitle(cell.dataset.stepId));
    }
    button.setAttribute("tabindex", cell.getAttribute("tabindex") === "0" ? "0" : "-1"); // an empty cell's own control
    return button;
  }

  function showControls(element) {
    var card = element.closest && element.closest("article.card[data-card-id]");
    var cell = element.closest && element.closest(".map__cell[data-step-id]");
    if (card) toolsInto(card);
    if (cell) adderInto(cell);
  }

  document.addEventListener("mouseover", function (event) {
    var g = grid();
    if (g && g.contains(event.target)) showControls(event.target);
  });

  function setTabStop(item) {
    var g = grid();
    if (!g || !item) return;
    g.querySelectorAll('[tabindex="0"]').forEach(function (element) {
      if (element !== item && !item.contains(element)) element.setAttribute("tabindex", "-1");
    });
    item.setAttribute("tabindex", "0");
    showControls(item);
    inner(item).forEach(function (element) { element.setAttribute("tabindex", "0"); });
    var help = document.getElementById("map-keys-help");
    // A header's overlay decorations (metrics with their period and responses) describe it too.
    var described = Array.prototype.map.call(item.querySelectorAll(":scope > [data-describes][id]"), function (e) { return e.id; });
    if (help) described.push("map-keys-help");
    if (described.length) item.setAttribute("aria-describedby", described.join(" "));
    if (item.matches(".map__cell")) {
      item.setAttribute("role", "group");
      item.setAttribute("aria-label", "Empty: " + laneTitle(item.dataset.laneId) + ", " + stepTitle(item.dataset.stepId));
    }
    current = keyOf(item);
  }

  function firstItem() {
    var g = grid();
    return g && (g.querySelector("article.card[data-card-id]") || g.querySelector(".map__step[data-step-id], .map__stage[data-stage-id]"));
  }

  // After load and after every swap: exactly one tab stop, on the item last used if it is still there.
  function settle() {
    var g = grid();
    if (!g) return;
    var item = byKey(current);
    if (item && !isItem(item)) item = itemOf(item);
    item = item || firstItem();
    if (item) setTabStop(item);
    if (hadFocus && item && (document.activeElement === document.body || !document.activeElement)) {
      item.focus({ preventScroll: true });
      restored = item;
    }
  }

  function focusItem(item) {
    if (!item) return;
    setTabStop(item);
    item.focus({ preventScroll: true });
    if (item.scrollIntoView) item.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // ------------------------------------------------------------------------------------------ geometry

  function ids(selector, name) {
    return Array.prototype.map.call(grid().querySelectorAll(selector), function (e) { return e.dataset[name]; });
  }
  function stepIds() { return ids(".map__step[data-step-id]", "stepId"); }
  function laneIds() { return ids(".map__lane[data-lane-id]", "laneId"); }
  function stageIds() { return ids(".map__stage[data-stage-id]", "stageId"); }
  function cellOf(laneId, stepId) {
    return grid().querySelector('.map__cell[data-lane-id="' + laneId + '"][data-step-id="' + stepId + '"]');
  }
  function cardsOf(cell) { return cell ? Array.prototype.slice.call(cell.querySelectorAll(":scope > article.card")) : []; }
  function firstCard(cell) { return cardsOf(cell)[0] || null; }
  function text(selector) { var e = grid().querySelector(selector); return e ? e.textContent.trim() : ""; }
  function laneTitle(id) { return text('.map__lane[data-lane-id="' + id + '"] .map__lane-title'); }
  function stepTitle(id) { return text('.map__step[data-step-id="' + id + '"] .map__step-title'); }

  // The item at (lane, step): the card at `index` (clamped), or the empty cell.
  function at(laneId, stepId, index) {
    var cell = cellOf(laneId, stepId);
    var cards = cardsOf(cell);
    if (!cards.length) return cell;
    return cards[Math.max(0, Math.min(index, cards.length - 1))];
  }

  function target(item, key) {
    var g = grid();
    var steps = stepIds(), lanes = laneIds();
    if (item.matches("article.card, .map__cell")) {
      var cell = item.matches(".map__cell") ? item : item.closest(".map__cell");
      var lane = cell.dataset.laneId, step = cell.dataset.stepId;
      var cards = cardsOf(cell), index = Math.max(0, cards.indexOf(item));
      var li = lanes.indexOf(lane), si = steps.indexOf(step);
      if (key === "ArrowDown") {
        if (index < cards.length - 1) return cards[index + 1];
        return li + 1 < lanes.length ? at(lanes[li + 1], step, 0) : null;
      }
      if (key === "ArrowUp") {
        if (index > 0) return cards[index - 1];
        return li > 0 ? at(lanes[li - 1], step, Infinity) : g.querySelector('.map__step[data-step-id="' + step + '"]');
      }
      if (key === "ArrowRight") return si + 1 < steps.length ? at(lane, steps[si + 1], index) : null;
      if (key === "ArrowLeft") return si > 0 ? at(lane, steps[si - 1], index) : g.querySelector('.map__lane[data-lane-id="' + lane + '"]');
      if (key === "Home") return at(lane, steps[0], 0);
      if (key === "End") return at(lane, steps[steps.length - 1], 0);
    }
    if (item.matches(".map__step")) {
      var s = steps.indexOf(item.dataset.stepId);
      if (key === "ArrowDown") return lanes.length ? at(lanes[0], item.dataset.stepId, 0) : null;
      if (key === "ArrowUp") return g.querySelector('.map__stage[data-stage-id="' + item.dataset.stageId + '"]');
      if (key === "ArrowRight" && s + 1 < steps.length) return byKey("step-" + steps[s + 1]);
      if (key === "ArrowLeft" && s > 0) return byKey("step-" + steps[s - 1]);
    }
    if (item.matches(".map__stage")) {
      var stages = stageIds(), t = stages.indexOf(item.dataset.stageId);
      if (key === "ArrowDown") return g.querySelector('.map__step[data-step-id][data-stage-id="' + item.dataset.stageId + '"]');
      if (key === "ArrowRight" && t + 1 < stages.length) return byKey("stage-" + stages[t + 1]);
      if (key === "ArrowLeft" && t > 0) return byKey("stage-" + stages[t - 1]);
    }
    if (item.matches(".map__lane")) {
      var l = lanes.indexOf(item.dataset.laneId);
      if (key === "ArrowRight") return steps.length ? at(item.dataset.laneId, steps[0], 0) : null;
      if (key === "ArrowDown" && l + 1 < lanes.length) return byKey("lane-" + lanes[l + 1]);
      if (key === "ArrowUp" && l > 0) return byKey("lane-" + lanes[l - 1]);
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------ keys

  function isTyping(element) {
    return element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName));
  }

  function addCard(cell) {
    var add = adderInto(cell);
    if (add) add.click();
  }

  document.addEventListener("keydown", function (event) {
    var g = grid();
    var element = event.target;
    if (!g || !g.contains(element) || isTyping(element) || element.closest("form, .menu__panel")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return; // Alt+arrows move (editor.js)
    var item = isItem(element) ? element : null;
    var key = event.key;
    if (/^Arrow|^Home$|^End$/.test(key)) {
      var from = item || itemOf(element);
      if (!from) return;
      event.preventDefault();
      var to = target(from, key);
      if (to) focusItem(to);
      return;
    }
    if (!item) return;
    var cell = item.matches(".map__cell") ? item : item.closest(".map__cell");
    if (editing() && ((key === "Enter" && item.matches(".map__cell")) || ((key === "n" || key === "N") && cell))) {
      event.preventDefault();
      addCard(cell);
    } else if (editing() && (key === "m" || key === "M")) {
      var menu = item.querySelector(".el-menu > summary, .score-picker > summary");
      if (menu) { event.preventDefault(); menu.click(); focusFirstMenuItem(menu.parentElement); }
    } else if (!editing() && (key === "Enter" || key === "c" || key === "C") && item.matches("article.card")) {
      var comments = item.querySelector("[data-card-action=comments]");
      if (comments) { event.preventDefault(); comments.click(); }
    }
  });

  function focusFirstMenuItem(details) {
    setTimeout(function () {
      var first = details.open && details.querySelector(".menu__panel button:not(:disabled), .menu__panel a");
      if (first) first.focus();
    }, 0);
  }

  document.addEventListener("focusout", function (event) {
    if (event.target === restored) restored = null;
  });

  document.addEventListener("focusin", function (event) {
    var g = grid();
    hadFocus = !!(g && g.contains(event.target));
    if (!hadFocus) return;
    var item = isItem(event.target) ? event.target : null;
    if (item && keyOf(item) !== current) setTabStop(item);
    else if (item) showControls(item);
  });

  // A viewer's click or tap on a card opens its comments (editors: it opens the card's form, editor.js).
  document.addEventListener("click", function (event) {
    var g = grid();
    if (!g || editing() || !g.contains(event.target) || event.target.closest("a, button, summary")) return;
    var card = event.target.closest("article.card[data-card-id]");
    var comments = card && card.querySelector("[data-card-action=comments]");
    if (comments) comments.click();
  });

  // The side panel's close button gives focus back to the card whose comments it showed.
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".side-panel__close")) return;
    var section = document.querySelector("#side-panel [data-card-id]");
    var card = section && byKey("card-" + section.dataset.cardId);
    setTimeout(function () { if (card) focusItem(card); }, 0);
  });

  // editor.js asks whether focus sits where the page, not the person, put it (then a write's answer may move it).
  window.throughlineMapKeys = {
    focusRestored: function () { return !!restored && document.activeElement === restored; },
    focusItem: function (element) { focusItem(itemOf(element) || element); },
  };

  document.addEventListener("htmx:afterSettle", settle);
  document.addEventListener("throughline:refreshed", settle);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", settle);
  else settle();
})();
