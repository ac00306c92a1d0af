// Present mode: show or hide lanes instantly (the ticked boxes also post as a saved view) and go full screen.
(function () {
  "use strict";
  var style = document.getElementById("present-hidden");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-lane-toggle]"));
  var backstage = ["backstage", "systems"];

  function apply() {
    var rules = boxes.filter(function (box) { return !box.checked; }).map(function (box) {
      return '.present-stage [data-lane-id="' + box.dataset.laneToggle + '"]{display:none}';
    });
    // The line of visibility goes with the last backstage lane shown.
    var backstageShown = boxes.some(function (box) {
      var row = document.querySelector('.map__lane[data-lane-id="' + box.dataset.laneToggle + '"]');
      return box.checked && row && backstage.indexOf(row.dataset.laneKind) >= 0;
    });
    if (!backstageShown) rules.push(".present-stage .map__lov{display:none}");
    style.textContent = rules.join("");
    var count = document.querySelector("[data-lane-count]");
    if (count) count.textContent = boxes.filter(function (box) { return box.checked; }).length + "/" + boxes.length;
  }

  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  document.addEventListener("click", function (event) {
    var preset = event.target.closest("[data-lanes]");
    if (!preset) return;
    boxes.forEach(function (box) {
      var row = document.querySelector('.map__lane[data-lane-id="' + box.dataset.laneToggle + '"]');
      box.checked = preset.dataset.lanes === "all" || !(row && backstage.indexOf(row.dataset.laneKind) >= 0);
    });
    apply();
  });
  if (boxes.length) apply();

  var button = document.querySelector("[data-fullscreen]");
  var page = document.getElementById("present");
  if (button && page.requestFullscreen) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else page.requestFullscreen();
    });
    document.addEventListener("fullscreenchange", function () {
      button.querySelector("[data-fullscreen-label]").textContent = document.fullscreenElement ? "Exit full screen" : "Full screen";
    });
  }
})();
