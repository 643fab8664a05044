// 客服工作台: example questions, and copying the reply draft to the clipboard (own file: the CSP allows no inline script).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // Example questions fill the message box (the clerk still presses 查询并生成回复).
    var message = document.querySelector(".inq-form textarea[name=message]");
    Array.prototype.forEach.call(document.querySelectorAll("[data-example]"), function (chip) {
      chip.addEventListener("click", function () {
        if (!message) { return; }
        message.value = chip.dataset.example;
        message.focus();
      });
    });
  });
  ready(function () {
    var button = document.getElementById("copy-reply");
    var text = document.getElementById("reply-text");
    var status = document.getElementById("copy-status");
    if (!button || !text) { return; }
    function say(message) { if (status) { status.textContent = message; } }
    function fallback() {
      text.focus();
      text.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      say(ok ? button.dataset.copied : button.dataset.failed);
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text.value).then(function () { say(button.dataset.copied); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
