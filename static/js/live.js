// Live map: other people's changes appear within a second, and the presence bar shows who else is here.
//
// The map page's root element carries the URLs and the revision the page was rendered at:
//   <div data-live-url="/journeys/7/live/" data-grid-url="/journeys/7/grid/" data-revision="42" data-user-id="3">
// This script opens an EventSource on data-live-url (?since=<revision>, so a change made between page render
// and connect is sent at once), and on a `change` with a higher revision re-fetches what changed: a change of
// cards names its cells (`cells`: ["<lane id>-<step id>", …]) and, when it is the very next revision, only
// those cells are fetched (data-cells-url, journeys:map_cells) and swapped out of band; anything else (a
// structural change, a missed revision) re-fetches the whole grid (#map-grid) and swaps it in. While the person is editing inside the grid (focus in a field, or any element marked
// [data-editing]) the swap waits until they are done. It shows a short toast ("Dana moved a card…") and
// keeps #presence up to date. It reconnects with backoff.
//
// Hooks for other scripts (document events):
//   throughline:change    detail = the change; cancelable: preventDefault() means "I apply this myself"
//   throughline:refreshed detail = {revision}: the grid was just replaced
//   throughline:presence  detail = {people}: everyone on the map, you included
//   throughline:editing-done (dispatch it): apply a refresh that waited for an edit to finish
// It listens for the editor's `editor:saved` ({revision}) so it does not re-fetch what this page just saved.
(function () {
  "use strict";

  var root = document.querySelector("[data-live-url]");
  if (!root || !window.EventSource || root.dataset.liveStarted) return;
  root.dataset.liveStarted = "1";

  var liveUrl = root.dataset.liveUrl;
  var gridUrl = root.dataset.gridUrl;
  var cellsUrl = root.dataset.cellsUrl;
  var me = String(root.dataset.userId || "");
  // latest: the newest revision we know of (sent as ?since= on reconnect); shown: what the grid shows.
  var latest = parseInt(root.dataset.revision, 10) || 0;
  var shown = latest;
  var source = null;
  var attempts = 0;
  var reconnectTimer = null;
  var stopped = false;
  var refresh = { wanted: false, running: false, waitTimer: null };
  var cellsFetch = { running: false, cells: [], upto: 0 }; // cells of changes not yet fetched, up to `upto`

  var TONES = 8; // avatar colours, as accounts/templatetags/ui.py avatar_tone
  var MAX_AVATARS = 5;
  var TOAST_MS = 4500;
  var OWN_CHANGE_GRACE_MS = 1500; // our own save's response usually brings the new grid: give it time

  // ------------------------------------------------------------------------------------- connection

  function connect() {
    if (stopped) return;
    var url = liveUrl + (liveUrl.indexOf("?") === -1 ? "?" : "&") + "since=" + encodeURIComponent(latest);
    source = new EventSource(url, { withCredentials: true });
    source.addEventListener("open", function () {
      attempts = 0;
      setStatus("live");
    });
    source.addEventListener("change", function (event) { onChange(parse(event)); });
    source.addEventListener("presence", function (event) { onPresence(parse(event)); });
    source.addEventListener("gone", function () {
      stop();
      setStatus("offline");
      toast(null, "This map is no longer available to you. Reload the page to see where things stand.");
    });
    source.addEventListener("unavailable", function () {
      // The server runs without ASGI (e.g. manage.py runserver): the map works, just not live.
      stop();
      setStatus("offline");
    });
    source.addEventListener("error", function () {
      // EventSource retries network errors by itself but gives up on HTTP errors; retry both, with backoff
      // and the revision we have, so nothing is missed while disconnected.
      if (source) source.close();
      source = null;
      if (stopped) return;
      setStatus("reconnecting");
      var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) + Math.floor(Math.random() * 500);
      attempts += 1;
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, delay);
    });
  }

  function stop() {
    stopped = true;
    clearTimeout(reconnectTimer);
    if (source) source.close();
    source = null;
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (error) {
      return null;
    }
  }

  function setStatus(state) {
    root.dataset.live = state;
    var bar = document.getElementById("presence");
    if (!bar) return;
    var status = bar.querySelector(".presence__status");
    if (!status) {
      status = document.createElement("span");
      status.className = "presence__status";
      bar.appendChild(status);
    }
    status.textContent = state === "reconnecting" ? "Reconnecting…" : state === "offline" ? "Live updates off" : "";
    status.hidden = !status.textContent;
    showBar(bar);
  }

  function showBar(bar) {
    // Shown when someone else is here or the connection needs saying; empty otherwise.
    var people = bar.querySelector(".presence__people");
    var status = bar.querySelector(".presence__status");
    bar.hidden = !(people && people.childElementCount) && !(status && !status.hidden);
  }

  // Leaving the page: close now, so the others see us go at once rather than when the server notices.
  window.addEventListener("pagehide", stop);

  // ------------------------------------------------------------------------------------- changes

  function onChange(change) {
    if (!change || !(change.revision > latest)) return;
    latest = change.revision;
    root.dataset.revision = String(latest);
    var hook = new CustomEvent("throughline:change", { detail: change, cancelable: true });
    var handled = !document.dispatchEvent(hook);
    var mine = String(change.actor) === me;
    if (!mine) toast(change.actor, describe(change), change.actor_name);
    if (handled) return;
    if (!mine && fetchCells(change)) return;
    if (mine && !change.catch_up) {
      setTimeout(requestRefresh, OWN_CHANGE_GRACE_MS);
    } else {
      requestRefresh();
    }
  }

  function showing(revision) {
    // The grid now reflects `revision` (and everything before it).
    if (!(revision > shown)) return;
    shown = revision;
    if (shown > latest) {
      latest = shown;
      root.dataset.revision = String(latest);
    }
    var label = document.querySelector("#journey-revision dd");
    if (label) label.textContent = String(shown);
  }

  // The editor saved something: its response showed that change. When nothing else happened in between,
  // the page is up to date and no fetch is needed; otherwise the refresh still runs.
  document.addEventListener("editor:saved", function (event) {
    var saved = event.detail && parseInt(event.detail.revision, 10);
    if (!saved) return;
    if (saved === shown + 1) showing(saved);
    if (saved > latest) {
      latest = saved;
      root.dataset.revision = String(latest);
    }
  });

  // Any swap of the whole grid (ours or the editor's) tells which revision is on screen.
  document.addEventListener("htmx:afterSwap", function () {
    var current = grid();
    if (current) showing(parseInt(current.dataset.revision, 10) || 0);
  });

  function describe(change) {
    var who = change.actor_name || "Someone";
    var text = who + " " + (change.summary || "changed the map");
    if (change.catch_up) {
      text = change.missed > 1
        ? "While this page was loading, the map changed " + change.missed + " times. Latest: " + text
        : "While this page was loading: " + text;
    }
    return text;
  }

  function grid() {
    return document.getElementById("map-grid");
  }

  function isEditing() {
    var current = grid();
    if (!current) return false;
    if (current.querySelector("[data-editing]")) return true;
    var active = document.activeElement;
    if (!active || !current.contains(active)) return false;
    return Boolean(
      active.closest("[data-editing]") ||
      active.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)
    );
  }

  // A change of cards that directly follows what is shown (or what cell fetches already cover): fetch just its
  // cells. False when the whole grid must be fetched instead.
  function fetchCells(change) {
    if (!cellsUrl || !window.htmx || !change.cells || !change.cells.length || change.catch_up) return false;
    if (refresh.wanted || refresh.running || isEditing() || !grid()) return false;
    if (change.revision !== Math.max(shown, cellsFetch.upto) + 1) return false;
    change.cells.forEach(function (cell) {
      if (cellsFetch.cells.indexOf(cell) === -1) cellsFetch.cells.push(cell);
    });
    cellsFetch.upto = change.revision;
    if (!cellsFetch.running) runCellsFetch();
    return true;
  }

  function runCellsFetch() {
    var cells = cellsFetch.cells;
    var upto = cellsFetch.upto;
    cellsFetch.cells = [];
    cellsFetch.running = true;
    var url = cellsUrl + (cellsUrl.indexOf("?") === -1 ? "?" : "&") + "cells=" + encodeURIComponent(cells.join(","));
    var done = function () {
      cellsFetch.running = false;
      var current = grid();
      if (current && upto > (parseInt(current.dataset.revision, 10) || 0)) current.dataset.revision = String(upto);
      showing(upto);
      document.dispatchEvent(new CustomEvent("throughline:refreshed", { detail: { revision: shown, cells: cells } }));
      if (cellsFetch.cells.length) runCellsFetch();
      else if (latest > shown) requestRefresh();
    };
    var failed = function () {
      cellsFetch.running = false;
      cellsFetch.cells = [];
      cellsFetch.upto = 0;
      requestRefresh(); // the whole grid, then
    };
    // swap "none": the answer is only out-of-band cells (and curves); #map-grid itself stays.
    window.htmx.ajax("GET", url, { target: "#map-grid", swap: "none" }).then(done, failed);
  }

  function requestRefresh() {
    if (latest <= shown) return;
    refresh.wanted = true;
    applyRefresh();
  }

  function applyRefresh() {
    if (refresh.wanted && latest <= shown) refresh.wanted = false;
    if (!refresh.wanted || refresh.running || !gridUrl || !grid()) return;
    if (isEditing()) {
      root.dataset.liveWaiting = "1";
      // focusout, the editing-done hook and the observer below retry; this catches anything else.
      clearTimeout(refresh.waitTimer);
      refresh.waitTimer = setTimeout(applyRefresh, 1000);
      return;
    }
    delete root.dataset.liveWaiting;
    refresh.wanted = false;
    refresh.running = true;
    var old = grid();
    var scroll = { left: old.scrollLeft, top: old.scrollTop };
    var done = function () {
      refresh.running = false;
      var fresh = grid();
      if (fresh) {
        showing(parseInt(fresh.dataset.revision, 10) || 0);
        fresh.scrollLeft = scroll.left;
        fresh.scrollTop = scroll.top;
        watchEditing(fresh);
      }
      document.dispatchEvent(new CustomEvent("throughline:refreshed", { detail: { revision: shown } }));
      if (latest > shown) requestRefresh(); // a change came in while we were fetching
    };
    var failed = function () {
      refresh.running = false;
      refresh.wanted = true;
      clearTimeout(refresh.waitTimer);
      refresh.waitTimer = setTimeout(applyRefresh, 3000);
    };
    if (window.htmx && typeof window.htmx.ajax === "function") {
      window.htmx.ajax("GET", gridUrl, { target: "#map-grid", swap: "outerHTML" }).then(done, failed);
    } else {
      fetch(gridUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (response) {
          if (!response.ok) throw new Error("grid " + response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById("map-grid");
          var current = grid();
          if (fresh && current) current.replaceWith(document.importNode(fresh, true));
          done();
        })
        .catch(failed);
    }
  }

  document.addEventListener("focusout", function () { setTimeout(applyRefresh, 0); });
  document.addEventListener("throughline:editing-done", function () { setTimeout(applyRefresh, 0); });
  document.addEventListener("htmx:afterSettle", function () { setTimeout(applyRefresh, 0); });

  var observer = window.MutationObserver
    ? new MutationObserver(function () { if (refresh.wanted) setTimeout(applyRefresh, 0); })
    : null;

  function watchEditing(element) {
    if (!observer) return;
    observer.disconnect();
    observer.observe(element, { subtree: true, attributes: true, attributeFilter: ["data-editing"] });
  }

  // ------------------------------------------------------------------------------------- presence

  function onPresence(people) {
    if (!Array.isArray(people)) return;
    document.dispatchEvent(new CustomEvent("throughline:presence", { detail: { people: people } }));
    var bar = document.getElementById("presence");
    if (!bar) return;
    var others = people.filter(function (person) { return String(person.id) !== me; });
    var list = bar.querySelector(".presence__people");
    if (!list) {
      list = document.createElement("span");
      list.className = "presence__people";
      bar.prepend(list);
    }
    list.replaceChildren();
    others.slice(0, MAX_AVATARS).forEach(function (person) {
      list.appendChild(avatar(person.id, person.initials, person.name));
    });
    if (others.length > MAX_AVATARS) {
      var more = document.createElement("span");
      more.className = "avatar avatar--sm presence__more";
      more.textContent = "+" + (others.length - MAX_AVATARS);
      more.title = others.slice(MAX_AVATARS).map(function (person) { return person.name; }).join(", ");
      list.appendChild(more);
    }
    var names = others.map(function (person) { return person.name; });
    showBar(bar);
    bar.setAttribute("aria-label", names.length ? "Also on this map: " + names.join(", ") : "Only you are on this map");
    bar.title = names.length ? "Also here: " + names.join(", ") : "";
  }

  function avatar(id, initials, name) {
    var element = document.createElement("span");
    element.className = "avatar avatar--sm avatar--t" + ((parseInt(id, 10) || 0) % TONES);
    element.textContent = initials || "?";
    if (name) element.title = name;
    return element;
  }

  // ------------------------------------------------------------------------------------- toasts

  function toasts() {
    var box = document.getElementById("live-toasts");
    if (!box) {
      box = document.createElement("div");
      box.id = "live-toasts";
      box.className = "live-toasts";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      document.body.appendChild(box);
    }
    return box;
  }

  function toast(actorId, text, actorName) {
    var box = toasts();
    var item = document.createElement("div");
    item.className = "live-toast";
    if (actorId !== null && actorId !== undefined) {
      item.appendChild(avatar(actorId, initialsOf(actorName), actorName));
    }
    var body = document.createElement("span");
    body.className = "live-toast__text";
    body.textContent = text.length > 160 ? text.slice(0, 157) + "…" : text;
    item.appendChild(body);
    box.appendChild(item);
    while (box.children.length > 3) box.firstElementChild.remove();
    setTimeout(function () {
      item.classList.add("is-leaving");
      setTimeout(function () { item.remove(); }, 300);
    }, TOAST_MS);
  }

  function initialsOf(name) {
    var parts = String(name || "").trim().split(/\s+/).filter(Boolean).slice(0, 2);
    return parts.map(function (part) { return part.charAt(0).toUpperCase(); }).join("") || "?";
  }

  // ------------------------------------------------------------------------------------- start

  if (grid()) watchEditing(grid());
  setStatus("connecting");
  connect();
})();
