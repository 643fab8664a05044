// xiaodian: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.xiaodianCsrf = meta ? meta.getAttribute("content") : "";
  // Search box: "/" focuses it, as in most back offices.
  document.addEventListener("keydown", function (event) {
    var box = document.querySelector(".searchbar .q");
    if (event.key === "/" && box && document.activeElement !== box &&
        !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
