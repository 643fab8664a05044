// Import pages: a large export takes a while to check and to import (about 8,000 rows a second), and the page
// answers only once the work is done. While it runs, the form says so, counts the seconds, and cannot be sent
// twice (a second click would import the same file again in parallel). Without this file the forms still work.
(function () {
  "use strict";

  function sizeText(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / (1024 * 1024)).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-busy]")) {
      return;
    }
    if (form.getAttribute("data-sent") === "1") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = form.getAttribute("data-busy");
    }
    var note = form.querySelector(".busy-note");
    if (!note) {
      return;
    }
    var file = form.querySelector("input[type=file]");
    var size = file && file.files && file.files[0] ? sizeText(file.files[0].size) : "";
    var template = note.getAttribute("data-template") || "{seconds}";
    var started = Date.now();
    function tick() {
      var seconds = Math.floor((Date.now() - started) / 1000);
      note.textContent = template.replace("{seconds}", String(seconds)).replace("{size}", size);
    }
    note.hidden = false;
    tick();
    setInterval(tick, 1000);
  });
})();
