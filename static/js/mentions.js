// @mentions by name in comment boxes (templates/journeys/_comments.html; the map page loads this file).
//
// A field marked data-mentions, inside an element with data-people-url (journeys:people), offers the people
// who can see the journey as you type "@" and part of a name or username (the server matches ignoring case
// and accents). Picking one writes "@Their Name " into the text and adds a hidden `mentions` input with their
// id to the form, which the server stores (journeys/services/comments.py); "@username" typed by hand works
// without this file.
//
// ARIA: the list is a listbox of options; the field points at it with aria-controls and at the highlighted
// option with aria-activedescendant, and has aria-autocomplete="list". A one-line reply box is a combobox
// (role and aria-expanded); a multi-line comment box keeps its textbox role, as HTML allows no other role on
// <textarea>. A polite live region says how many people were found and who was mentioned.
// Keys while the list is open: Up/Down move, Enter or Tab picks, Esc closes (and nothing else: the side panel
// stays open). Panels are swapped by HTMX, so everything is delegated from the document.
(function () {
  "use strict";

  var WAIT_MS = 120; // typing pause before asking the server
  var MAX_QUERY = 60;
  var MAX_WORDS = 3;
  // "@" at the start or after something that cannot be part of a word or an e-mail address, then the query.
  var TRIGGER = /(^|[^\p{L}\p{N}_@.+-])@([^\s@]*(?: [^\s@]*){0,2})$/u;
  var counter = 0;
  var states = new WeakMap();

  function stateOf(field) {
    var state = states.get(field);
    if (state) return state;
    counter += 1;
    var id = "mentions-" + counter;
    var form = field.form;
    form.classList.add("has-mentions");
    var list = document.createElement("ul");
    list.className = "mentions";
    list.id = id;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    var status = document.createElement("div");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    field.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    field.setAttribute("aria-autocomplete", "list");
    field.setAttribute("aria-controls", id);
    if (field.tagName === "INPUT") {
      field.setAttribute("role", "combobox");
      field.setAttribute("aria-expanded", "false");
    }
    state = {
      field: field, list: list, status: status, people: [], active: -1, at: -1, query: null,
      seq: 0, timer: null, emptyPrefix: null, dismissedAt: -1,
    };
    states.set(field, state);
    return state;
  }

  function isMentionField(element) {
    return element && element.matches && element.matches("textarea[data-mentions], input[data-mentions]") &&
      element.form && element.closest("[data-people-url]");
  }

  function say(state, text) {
    state.status.textContent = "";
    setTimeout(function () { state.status.textContent = text; }, 30);
  }

  function isOpen(state) { return !state.list.hidden; }

  function close(state) {
    clearTimeout(state.timer);
    state.seq += 1; // answers still on their way are stale
    state.list.hidden = true;
    state.list.replaceChildren();
    state.people = [];
    state.active = -1;
    state.field.removeAttribute("aria-activedescendant");
    if (state.field.getAttribute("role") === "combobox") state.field.setAttribute("aria-expanded", "false");
  }

  function highlight(state, index) {
    var options = state.list.children;
    state.active = index;
    for (var i = 0; i < options.length; i++) options[i].setAttribute("aria-selected", i === index ? "true" : "false");
    if (index >= 0 && options[index]) {
      state.field.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      state.field.removeAttribute("aria-activedescendant");
    }
  }

  function place(state) {
    var field = state.field;
    var list = state.list;
    list.style.left = field.offsetLeft + "px";
    list.style.minWidth = Math.min(field.offsetWidth, 360) + "px";
    var below = field.getBoundingClientRect().bottom + list.offsetHeight + 8 <= window.innerHeight;
    list.style.top = (below ? field.offsetTop + field.offsetHeight + 4 : field.offsetTop - list.offsetHeight - 4) + "px";
  }

  function show(state, people, more) {
    state.people = people;
    state.list.replaceChildren();
    people.forEach(function (person, i) {
      var option = document.createElement("li");
      option.id = state.list.id + "-" + i;
      option.className = "mentions__option";
      option.setAttribute("role", "option");
      option.dataset.index = String(i);
      var name = document.createElement("span");
      name.className = "mentions__name";
      name.dir = "auto";
      name.textContent = person.name;
      var user = document.createElement("span");
      user.className = "mentions__user";
      user.dir = "auto";
      user.textContent = "@" + person.username;
      option.append(name, " ", user);
      state.list.appendChild(option);
    });
    state.list.hidden = false;
    if (state.field.getAttribute("role") === "combobox") state.field.setAttribute("aria-expanded", "true");
    highlight(state, 0);
    place(state);
    var found = people.length === 1 ? "1 person found" : people.length + (more ? " or more" : "") + " people found";
    say(state, found + ": " + people[0].name + ". Up and down arrows to choose, Enter to mention, Escape to close.");
  }

  function showNone(state, query) {
    state.list.replaceChildren();
    var item = document.createElement("li");
    item.className = "mentions__none";
    item.setAttribute("role", "option");
    item.setAttribute("aria-disabled", "true");
    item.id = state.list.id + "-none";
    item.textContent = "No one who can see this journey matches “" + query + "”.";
    state.list.appendChild(item);
    state.list.hidden = false;
    state.people = [];
    highlight(state, -1);
    if (state.field.getAttribute("role") === "combobox") state.field.setAttribute("aria-expanded", "true");
    place(state);
    say(state, item.textContent);
  }

  function ask(state, query) {
    var url = state.field.closest("[data-people-url]").dataset.peopleUrl;
    var seq = ++state.seq;
    fetch(url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (seq !== state.seq || !data || document.activeElement !== state.field) return;
        if (data.people.length) {
          show(state, data.people, data.more);
        } else if (/\s/.test(query)) {
          // "@Bob Smith and …": past a name, into ordinary text; say nothing and stop asking.
          state.emptyPrefix = query;
          close(state);
        } else {
          state.emptyPrefix = query;
          showNone(state, query);
        }
      })
      .catch(function () { if (seq === state.seq) close(state); });
  }

  // The "@query" just before the caret, or null.
  function queryAt(field) {
    if (field.selectionStart !== field.selectionEnd) return null;
    var before = field.value.slice(0, field.selectionStart);
    var match = TRIGGER.exec(before);
    if (!match) return null;
    var query = match[2];
    if (query.length > MAX_QUERY || query.split(" ").length > MAX_WORDS || /\s\s/.test(query)) return null;
    return { at: before.length - query.length - 1, query: query };
  }

  function update(field) {
    var state = stateOf(field);
    var found = queryAt(field);
    if (!found || found.at === state.dismissedAt) { close(state); return; }
    if (found.at !== state.at) state.emptyPrefix = null; // a new "@": forget what found no one
    state.at = found.at;
    if (state.emptyPrefix !== null && found.query.indexOf(state.emptyPrefix) === 0 && /\s/.test(found.query)) {
      close(state);
      return;
    }
    if (found.query === state.query && isOpen(state)) return;
    state.query = found.query;
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { ask(state, found.query); }, WAIT_MS);
  }

  function pick(state, index) {
    var person = state.people[index];
    if (!person) return;
    var field = state.field;
    var end = field.selectionStart;
    var rest = field.value.slice(end);
    var insert = "@" + person.name + (/^\s/.test(rest) ? "" : " ");
    field.value = field.value.slice(0, state.at) + insert + rest;
    var caret = state.at + insert.length;
    field.setSelectionRange(caret, caret);
    var form = field.form;
    var exists = Array.prototype.some.call(form.querySelectorAll("input[type=hidden][name=mentions]"), function (input) {
      return input.value === String(person.id);
    });
    if (!exists) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "mentions";
      hidden.value = String(person.id);
      form.appendChild(hidden);
    }
    close(state);
    state.at = -1;
    state.query = null;
    // Other listeners (the character counter) see the new text; this file ignores its own event.
    state.picking = true;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    state.picking = false;
    say(state, person.name + " mentioned.");
  }

  document.addEventListener("input", function (event) {
    if (!isMentionField(event.target)) return;
    var state = stateOf(event.target);
    if (!state.picking) update(event.target);
  });

  document.addEventListener("focusout", function (event) {
    var state = isMentionField(event.target) && states.get(event.target);
    if (state) close(state);
  });

  // Clicking an option must not take focus from the field.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".mentions")) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".mentions__option");
    if (!option) return;
    var list = option.closest(".mentions");
    var field = list.previousElementSibling;
    var state = field && states.get(field);
    if (state) pick(state, Number(option.dataset.index));
  });

  // Capturing on window: these keys belong to the open list before the map's and the side panel's handlers.
  window.addEventListener("keydown", function (event) {
    var field = event.target;
    var state = isMentionField(field) && states.get(field);
    if (!state || !isOpen(state) || event.altKey || event.ctrlKey || event.metaKey) return;
    var count = state.people.length;
    var handled = true;
    if (event.key === "ArrowDown" && count) {
      highlight(state, (state.active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      highlight(state, (state.active - 1 + count) % count);
    } else if ((event.key === "Enter" || (event.key === "Tab" && !event.shiftKey)) && count && state.active >= 0) {
      pick(state, state.active);
    } else if (event.key === "Escape") {
      state.dismissedAt = state.at; // this "@" stays closed; a new one opens the list again
      close(state);
      say(state, "Closed.");
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
