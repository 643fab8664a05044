// Live ship-by countdowns (剩余 5小时12分) on the shipping pages; the server renders the first value, this keeps it fresh.
(function () {
  "use strict";
  var table = document.querySelector("[data-now][data-tpl-left]");
  if (!table) { return; }
  var serverNow = Date.parse(table.getAttribute("data-now"));
  var offset = serverNow - Date.now(); // the desk's clock wins (demos run at a fixed time)
  var tplLeft = table.getAttribute("data-tpl-left");
  var tplLate = table.getAttribute("data-tpl-late");
  var tplLeftDays = table.getAttribute("data-tpl-left-days") || tplLeft;
  var tplLateDays = table.getAttribute("data-tpl-late-days") || tplLate;
  function fill(tpl, h, m) { return tpl.replace("%(h)s", h).replace("%(m)s", m); }
  // beyond a day in days and hours (剩余 1天9小时), as the server writes it (shipping.pages.countdown)
  function words(left, h, m) {
    if (h >= 24) {
      return (left < 0 ? tplLateDays : tplLeftDays).replace("%(d)s", Math.floor(h / 24)).replace("%(h)s", h % 24);
    }
    return fill(left < 0 ? tplLate : tplLeft, h, m);
  }
  function tick() {
    var now = Date.now() + offset;
    table.querySelectorAll(".countdown[data-ship-by]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-ship-by")) - now) / 1000);
      var minutes = Math.floor(Math.abs(left) / 60);
      var h = Math.floor(minutes / 60), m = minutes % 60;
      var level = left < 0 ? "late" : left < 6 * 3600 ? "urgent" : left < 24 * 3600 ? "soon" : "ok";
      el.textContent = words(left, h, m);
      el.className = "countdown cd-" + level;
    });
  }
  setInterval(tick, 30000);
})();

// A promise choice (the shop default and each product's row) shows only the field its kind uses: the cut-off hour
// for 当日发, the days for N天内 and 预售 N 天, the date for 预售到某天. Without this script every field shows and
// the server ignores the ones the kind does not use.
(function () {
  "use strict";
  var NEEDS = {same_day: "promise_cutoff", days: "promise_days", presale_days: "promise_days",
               presale_date: "promise_date"};
  document.querySelectorAll(".promise-choice, .promise-row").forEach(function (box) {
    var kind = box.querySelector("select[name=promise_kind]");
    if (!kind) { return; }
    function show() {
      ["promise_cutoff", "promise_days", "promise_date"].forEach(function (name) {
        var input = box.querySelector("input[name=" + name + "]");
        var label = input && input.closest("label");
        if (label) { label.hidden = NEEDS[kind.value] !== name; }
      });
    }
    kind.addEventListener("change", show);
    show();
  });
  // a refused settings or promise form comes back on this long page: bring its message into view
  var refused = document.querySelector(".settings-error, .product-promise-error");
  if (refused) { refused.scrollIntoView({block: "center"}); }
})();
