// Live after-sale deadline countdowns (剩余 5小时12分 / 已超时 2小时3分) on the after-sales list and case page.
// The server renders the first value (correct without JavaScript); this refreshes it every minute without a
// reload. Levels follow aftersales/domain.py countdown(): the deadline instant counts as passed, ≤ 12 h is
// urgent (red), ≤ 24 h soon. Words come from the page (data-tpl-*), so both languages read right.
(function () {
  "use strict";
  var root = document.querySelector("[data-countdown-now]");
  if (!root) { return; }
  var offset = Date.parse(root.getAttribute("data-countdown-now")) - Date.now(); // the desk's clock wins
  var words = {
    left: root.getAttribute("data-tpl-left"), over: root.getAttribute("data-tpl-over"),
    days: root.getAttribute("data-tpl-days"), hours: root.getAttribute("data-tpl-hours")
  };
  var URGENT = 12 * 3600, SOON = 24 * 3600;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440), rest = minutes % 1440;
    var h = Math.floor(rest / 60), m = rest % 60;
    return days ? fill(words.days, { d: days, h: h }) : fill(words.hours, { h: h, m: m });
  }

  function tick() {
    var now = Date.now() + offset;
    var clocks = document.querySelectorAll(".countdown[data-due-by]");
    Array.prototype.forEach.call(clocks, function (el) {
      var due = Date.parse(el.getAttribute("data-due-by"));
      if (isNaN(due)) { return; }
      var left = Math.trunc((due - now) / 1000);
      var level = left <= 0 ? "overdue" : left <= URGENT ? "urgent" : left <= SOON ? "soon" : "ok";
      el.textContent = fill(left <= 0 ? words.over : words.left, { span: span(left) });
      el.className = "countdown cd-" + level;
      el.setAttribute("data-level", level);
    });
  }

  setInterval(tick, 60 * 1000);
})();
