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

  // Background jobs asked for in this browser (an export; the check or import of a large file), marked by the page
  // that queued them, and the user's jobs still open wherever they were asked for (another computer, the API: every
  // page lists them, web/job_watch.py), are followed from every page of the desk, so whoever asked can go on
  // working: when one is done a notice offers its file or its report, when one fails it says so. A job that
  // finished while none of the user's pages was open is listed by the next page, and announced there. Kept per
  // login in localStorage (kind, job and shop ids only), polled every 5 s while any is open, for 6 hours at most (a
  // desk whose worker is stopped would otherwise be asked for ever). The page that shows a job itself (the export
  // jobs page, an import's page) gets no notice for it. An open page also asks the desk for the user's list again
  // every 20 s while it is in view (GET /jobs/watched: one small query), so that a job asked for after it was
  // loaded, through the API or on another computer, is announced on it too, not only after a reload.
  // A form that moves money, sends a refusal or locks someone out asks once more (data-confirm); "{name}" in the
  // question is replaced by what the form's field of that name holds (the refund amount typed in). A question that
  // depends on the current choice has data-confirm-if="name=value other": asked only while every field named holds
  // that value (or, without "=", is not empty); "{checked:attr}" counts the form's ticked boxes carrying that
  // attribute (the ticked orders whose note a batch "replace" overwrites).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var ask = form && form.getAttribute && form.getAttribute("data-confirm");
    if (!ask) { return; }
    var only = (form.getAttribute("data-confirm-if") || "").split(/\s+/).filter(Boolean);
    if (!only.every(function (test) {
      var pair = test.split("="), field = form.elements[pair[0]], value = field ? field.value.trim() : "";
      return pair.length > 1 ? value === pair[1] : value !== "";
    })) { return; }
    var text = ask.replace(/\{checked:([a-z-]+)\}/g, function (whole, attr) {
      return String(Array.prototype.filter.call(form.elements, function (el) {
        return el.checked && el.hasAttribute(attr);
      }).length);
    }).replace(/\{([a-z_]+)\}/g, function (whole, name) {
      var field = form.elements[name];
      return field ? field.value.trim().replace(/^[¥￥]\s*/, "") : whole;
    });
    if (!window.confirm(text)) { event.preventDefault(); }
  });

  var notice = document.getElementById("export-notice");
  if (notice && window.fetch && window.localStorage) {
    var watchKey = "xd-export-watch:" + notice.getAttribute("data-login");
    var kindOf = function (w) { return w.kind || "export"; };
    var readWatched = function () {
      try { return JSON.parse(window.localStorage.getItem(watchKey)) || []; } catch (e) { return []; }
    };
    var writeWatched = function (list) {
      if (list.length) { window.localStorage.setItem(watchKey, JSON.stringify(list)); }
      else { window.localStorage.removeItem(watchKey); }
    };
    var sameJob = function (a, b) { return kindOf(a) === kindOf(b) && a.job === b.job && a.shop === b.shop; };
    var announced = [];  // finished jobs this page has announced or let go: a later list may still name them
    // Jobs announced in this browser lately, kept across pages: a page loaded before the desk has recorded the
    // announcement (a reload right after it) would otherwise be given the job again and announce it twice.
    var toldKey = "xd-export-told:" + notice.getAttribute("data-login");
    var readTold = function () {
      var list;
      try { list = JSON.parse(window.localStorage.getItem(toldKey)) || []; } catch (e) { list = []; }
      return list.filter(function (w) { return Date.now() - w.at < 3600 * 1000; });
    };
    var rememberTold = function (w) {
      var list = readTold().filter(function (t) { return !sameJob(t, w); });
      list.push({kind: kindOf(w), job: w.job, shop: w.shop, at: Date.now()});
      window.localStorage.setItem(toldKey, JSON.stringify(list.slice(-50)));
    };
    var follow = function (kind, job, shop) {
      var entry = {kind: kind || "export", job: String(job), shop: String(shop), at: Date.now()};
      if (announced.some(function (w) { return sameJob(w, entry); })) { return false; }
      if (readTold().some(function (w) { return sameJob(w, entry); })) { return false; }
      var known = readWatched();
      if (known.some(function (w) { return sameJob(w, entry); })) { return false; }
      writeWatched(known.concat([entry]));
      return true;
    };
    document.querySelectorAll("[data-watch-job]").forEach(function (queued) {
      follow(queued.getAttribute("data-watch-kind"), queued.getAttribute("data-watch-job"),
             queued.getAttribute("data-watch-shop"));
    });
    var shownHere = function (w) {
      if (kindOf(w) === "export") { return !!document.querySelector("table.export-jobs"); }
      return !!document.querySelector(".import-job-page[data-job='" + w.job + "']");
    };
    var urlOf = function (w, tail) {
      var shop = "?shop=" + encodeURIComponent(w.shop);
      return (kindOf(w) === "export" ? "/api/v1/exports/jobs/" : "/api/v1/imports/orders/jobs/") +
        encodeURIComponent(w.job) + (tail || "") + shop;
    };
    // The desk is told once a finished job has been announced (or its own page shows it), so that the next page,
    // here or on another computer, does not announce it again. Should this fail, the next page announces it again.
    var tellDesk = function (w) {
      rememberTold(w);
      // keepalive: the request is sent even when the page is left or reloaded at once
      fetch(urlOf(w, "/noticed"), {method: "POST", credentials: "same-origin", keepalive: true,
                                   headers: {Accept: "application/json", "X-CSRF-Token": window.xiaodianCsrf}})
        .catch(function () { return null; });
    };
    var textOf = function (w, job) {
      if (kindOf(w) === "export") {
        return notice.getAttribute(job.status === "done" ? "data-done" : "data-failed").replace("{id}", w.job);
      }
      var which = job.status !== "done" ? "data-import-failed" : (job.dry_run ? "data-import-checked" : "data-import-done");
      return notice.getAttribute(which).replace("{name}", job.file_name);
    };
    var linksOf = function (w, job) {
      var shop = "?shop=" + encodeURIComponent(w.shop);
      if (kindOf(w) === "import") {
        return [[notice.getAttribute("data-see"), "/imports/orders/jobs/" + encodeURIComponent(w.job) + shop, false]];
      }
      var links = [[notice.getAttribute("data-jobs"), "/exports" + shop, false]];
      if (job.download_url) { links.unshift([notice.getAttribute("data-download"), job.download_url + shop, true]); }
      return links;
    };
    var showJob = function (watched, job) {
      var item = document.createElement("div");
      item.className = "export-notice-item " + job.status;
      item.setAttribute("data-job", watched.job);
      item.setAttribute("data-kind", kindOf(watched));
      var text = document.createElement("span");
      text.textContent = textOf(watched, job);
      item.appendChild(text);
      linksOf(watched, job).forEach(function (spec) {
        var link = document.createElement("a");
        link.textContent = spec[0];
        link.href = spec[1];
        if (spec[2]) { link.setAttribute("download", ""); link.className = "download"; }
        item.appendChild(link);
      });
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link close";
      close.textContent = "×";
      close.setAttribute("aria-label", notice.getAttribute("data-close"));
      close.addEventListener("click", function () {
        item.remove();
        notice.hidden = !notice.children.length;
      });
      item.appendChild(close);
      notice.appendChild(item);
      notice.hidden = false;
    };
    var timer = null;
    var polling = false;
    var schedule = function (ms) {  // one poll at a time; a poll in flight schedules the next itself
      if (timer === null && !polling) { timer = setTimeout(function () { timer = null; pollWatched(); }, ms); }
    };
    var pollWatched = function () {
      var list = readWatched().filter(function (w) { return Date.now() - w.at < 6 * 3600 * 1000; });
      if (!list.length) { writeWatched([]); return; }
      polling = true;
      Promise.all(list.map(function (w) {
        return fetch(urlOf(w), {credentials: "same-origin", headers: {Accept: "application/json"}})
          .then(function (r) { return r.status === 404 ? {status: "gone"} : (r.ok ? r.json() : null); },
                function () { return null; });  // offline or logged out: asked again next time
      })).then(function (jobs) {
        var finished = [];
        jobs.forEach(function (job, i) {
          if (!job || job.status === "queued" || job.status === "running") { return; }
          finished.push(list[i]);
          announced.push(list[i]);
          if (job.status === "done" || job.status === "failed") {
            if (!shownHere(list[i])) { showJob(list[i], job); }
            tellDesk(list[i]);
          }
        });
        // another tab may have added a job meanwhile: only the finished ones are taken out
        var left = readWatched().filter(function (w) {
          return !finished.some(function (f) { return sameJob(f, w); });
        });
        writeWatched(left);
        polling = false;
        if (left.length) { schedule(5000); }
      });
    };
    pollWatched();
    // The user's jobs asked for since this page was loaded (through the API, another tab or computer): followed as
    // those the page was given. Only while the page is in view, and at once when it comes back into view.
    var discover = function () {
      if (document.hidden) { return; }
      fetch("/jobs/watched", {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
        .then(function (body) {
          if (!body || !body.jobs) { return; }  // signed out, or offline: asked again next time
          var added = body.jobs.filter(function (w) { return follow(w.kind, w.job, w.shop); });
          if (added.length) { schedule(0); }
        }, function () { return null; });
    };
    setInterval(discover, 20000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { discover(); } });
  }

  // A page with work in progress (an export job running) reloads itself until the work is done.
  var refreshing = document.querySelector("[data-refresh-seconds]");
  if (refreshing) {
    setTimeout(function () { window.location.reload(); },
               1000 * Number(refreshing.getAttribute("data-refresh-seconds")));
  }
})();
