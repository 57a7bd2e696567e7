/* The import job's live progress bar (issue 17): asks the job's state every data-poll ms
   and shows rows done, rate and time left; once the job is done the page is loaded again,
   and the server shows the import's report. The address is the job's, so a reload (or a
   later visit) shows the same bar. */
(function () {
  "use strict";
  var root = document.getElementById("uchet-import-job");
  if (!root) { return; }
  var bar = document.getElementById("uchet-import-bar");
  var texts = JSON.parse(root.getAttribute("data-texts") || "{}");
  var poll = parseInt(root.getAttribute("data-poll"), 10);
  if (isNaN(poll) || poll < 0) { poll = 1000; }
  function setBar(pct) {
    if (!bar) { return; }
    bar.style.width = pct + "%";
    bar.setAttribute("aria-valuenow", String(pct));
    bar.setAttribute("data-pct", String(pct));
    bar.textContent = pct + "%";
  }
  setBar(parseInt(bar ? bar.getAttribute("data-pct") : "0", 10) || 0);
  if (root.getAttribute("data-status") === "done") { return; }
  function show(state) {
    var p = state.progress;
    var stage = document.getElementById("uchet-import-stage");
    var numbers = document.getElementById("uchet-import-numbers");
    if (p && p.total) {
      setBar(Math.floor(100 * p.done / p.total));
      if (stage) { stage.textContent = p.stage === "read" ? texts.read : texts.write; }
      var parts = [p.stage_done + " / " + p.stage_total];
      if (p.rate) { parts.push(p.rate + " " + texts.rate); }
      if (p.left !== null && p.left !== undefined) {
        parts.push(texts.left.replace("%(s)s", String(p.left)));
      }
      if (numbers) { numbers.textContent = parts.join(" · "); }
    } else if (stage) {
      stage.textContent = texts.waiting;
    }
  }
  function ask() {
    fetch(root.getAttribute("data-state-url"), {credentials: "same-origin",
                                                headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.status === "done" || state.status === "failed") {
          root.setAttribute("data-status", state.status);
          setBar(100);
          window.location.reload();
          return;
        }
        show(state);
        window.setTimeout(ask, poll);
      })
      .catch(function () { window.setTimeout(ask, Math.max(poll, 1000)); });
  }
  window.setTimeout(ask, poll);
})();
