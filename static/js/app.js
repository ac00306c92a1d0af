// Small behaviours HTMX does not cover: close open menus on an outside click or Escape, dismiss flashes,
// ask before destructive submits (form[data-confirm]) and submit a form when a select changes (data-autosubmit).
(function () {
  "use strict";

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    var menu = event.target.closest("details.menu");
    closeMenus(menu);
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".flash").remove();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  }, true);

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
  });

  // Escape closes the open menus; focus goes back to the button that opened the menu it was in (never to
  // <body>), and this Escape does nothing else (one Escape, one layer).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelectorAll("details.menu[open]");
    if (!open.length) return;
    var active = document.activeElement;
    var back = null;
    open.forEach(function (menu) {
      if (menu.contains(active) || menu.matches(":hover")) back = back || menu.querySelector(":scope > summary");
      menu.removeAttribute("open");
    });
    if (back) back.focus();
    event.preventDefault();
    event.stopImmediatePropagation();
  });
})();
