// xiaodian: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  window.xiaodianCsrf = meta ? meta.getAttribute("content") : "";

  // Search box: "/" focuses it, as in most back offices.
  document.addEventListener("keydown", function (event) {
    var box = document.querySelector(".searchbar .q");
    var active = document.activeElement;
    if (event.key === "/" && box && active !== box &&
        !/^(INPUT|TEXTAREA|SELECT)$/.test(active ? active.tagName : "")) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // Choices that only make sense applied at once (page size, product) submit their form on change.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select.autosubmit, select.product") && target.form) {
      target.form.submit();
    }
  });

  // 批量备注: "select this page" ticks every order of the page; the bar says how many are ticked.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.matches || !target.matches("input.pick, input.pick-all")) {
      return;
    }
    var picks = document.querySelectorAll("input.pick");
    if (target.matches("input.pick-all")) {
      picks.forEach(function (box) { box.checked = target.checked; });
    }
    var ticked = document.querySelectorAll("input.pick:checked").length;
    var all = document.querySelector("input.pick-all");
    if (all) {
      all.checked = ticked > 0 && ticked === picks.length;
      all.indeterminate = ticked > 0 && ticked < picks.length;
    }
    var shown = document.querySelector(".batchbar .picked");
    if (shown) {
      shown.textContent = shown.getAttribute("data-template").replace("{n}", String(ticked));
    }
  });

  // Tab counts of a product-text search over a large desk arrive after the list (orders.pages.LAZY_COUNTS_ABOVE);
  // without this script the tabs simply show no figure but the current one.
  var tabs = document.querySelector("nav.tabs[data-counts-url]");
  if (tabs && window.fetch) {
    fetch(tabs.getAttribute("data-counts-url"), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        tabs.removeAttribute("aria-busy");  // done, with figures or without
        if (!body || !body.counts) {
          return;
        }
        tabs.querySelectorAll("a[data-tab]").forEach(function (tab) {
          var n = body.counts[tab.getAttribute("data-tab")];
          var shown = tab.querySelector(".count");
          if (shown && typeof n === "number") {
            shown.textContent = n.toLocaleString("en-US");
          }
        });
      }, function () { tabs.removeAttribute("aria-busy"); /* no figures; the list itself is all there */ });
  }

  // "Link to this list": copy the absolute URL so it can be pasted into a chat; falls back to following it.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-copy]") : null;
    if (!link || !navigator.clipboard || !window.isSecureContext) {
      return;
    }
    event.preventDefault();
    var url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      var original = link.textContent;
      link.textContent = link.getAttribute("data-copied") || original;
      setTimeout(function () { link.textContent = original; }, 1500);
    }, function () { window.location.href = url; });
  });

  // A page with work in progress (an export job running) reloads itself until the work is done.
  var refreshing = document.querySelector("[data-refresh-seconds]");
  if (refreshing) {
    setTimeout(function () { window.location.reload(); },
               1000 * Number(refreshing.getAttribute("data-refresh-seconds")));
  }
})();
