/* A mailing's page (issue 19): the progress bar and counts follow the mailing while it is
   sent in the background; the page reloads once it has finished, to show the whole log. */
(function () {
  "use strict";
  var root = document.getElementById("uchet-mailing");
  if (!root) { return; }
  var bar = document.getElementById("uchet-mailing-bar");

  function show(counts) {
    var done = counts.sent + counts.failed + counts.bounced + counts.skipped + counts.cancelled;
    var percent = counts.total ? Math.round(100 * done / counts.total) : 100;
    bar.className = "progress-bar uchet-w-" + (Math.round(percent / 5) * 5);
    bar.setAttribute("aria-valuenow", String(done));
    bar.textContent = percent + "%";
    document.querySelectorAll("#uchet-mailing-counts [data-count]").forEach(function (el) {
      var key = el.getAttribute("data-count");
      el.textContent = String(counts[key] + (key === "queued" ? counts.sending : 0));
    });
  }

  function poll() {
    fetch(root.getAttribute("data-progress"), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(data.counts);
        if (data.status !== "active" && root.getAttribute("data-status") === "active") {
          window.location.reload();
        } else if (data.status === "active") {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  poll();
})();
