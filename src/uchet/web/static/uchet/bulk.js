/* Bulk actions on a list (issue 21): row selection that survives paging, "all matching the
   filter", and the confirmation page's field chooser. The selection lives in sessionStorage
   per table as {ids: {id: version}, all: state-or-null}; the server never trusts it beyond
   the ids: "all" is evaluated again there, under the user's rights. No inline scripts (CSP). */
(function () {
  "use strict";

  function store(table) {
    var key = "uchet-bulk:" + table;
    return {
      load: function () {
        try { return JSON.parse(sessionStorage.getItem(key)) || {ids: {}, all: null}; }
        catch (e) { return {ids: {}, all: null}; }
      },
      save: function (data) { sessionStorage.setItem(key, JSON.stringify(data)); },
      clear: function () { sessionStorage.removeItem(key); }
    };
  }

  function fill(text, n) { return text.replace("%(n)s", n); }

  function listPage(form) {
    var table = form.getAttribute("data-table");
    var texts = JSON.parse(form.getAttribute("data-texts"));
    var total = form.getAttribute("data-total");
    var st = store(table);
    var data = st.load();
    var state = form.querySelector("input[name=state]").value.replace(/(^|&)(page|after)=[^&]*/g, "");
    if (data.all !== null && data.all !== state) { data.all = null; }  // the filter changed
    var picks = Array.prototype.slice.call(document.querySelectorAll("input.uchet-pick"));
    var pageBox = document.getElementById("uchet-bulk-page");
    var count = document.getElementById("uchet-bulk-count");
    var go = document.getElementById("uchet-bulk-go");
    var clear = document.getElementById("uchet-bulk-clear");
    var allBtn = document.getElementById("uchet-bulk-all");

    function render() {
      var n = Object.keys(data.ids).length;
      picks.forEach(function (box) {
        box.checked = data.all !== null || Object.prototype.hasOwnProperty.call(data.ids, box.value);
        box.disabled = data.all !== null;
      });
      pageBox.checked = picks.length > 0 && picks.every(function (b) { return b.checked; });
      pageBox.disabled = data.all !== null;
      count.textContent = data.all !== null ? fill(texts.all, total) : fill(texts.selected, n);
      go.disabled = data.all === null && n === 0;
      clear.classList.toggle("d-none", data.all === null && n === 0);
      if (allBtn) { allBtn.classList.toggle("d-none", data.all !== null); }
      st.save(data);
    }

    picks.forEach(function (box) {
      box.addEventListener("change", function () {
        if (box.checked) { data.ids[box.value] = box.getAttribute("data-version"); }
        else { delete data.ids[box.value]; }
        render();
      });
      box.addEventListener("click", function (e) { e.stopPropagation(); });
    });
    pageBox.addEventListener("change", function () {
      picks.forEach(function (box) {
        if (pageBox.checked) { data.ids[box.value] = box.getAttribute("data-version"); }
        else { delete data.ids[box.value]; }
      });
      render();
    });
    if (allBtn) {
      allBtn.addEventListener("click", function () { data.all = state; data.ids = {}; render(); });
    }
    clear.addEventListener("click", function () { data = {ids: {}, all: null}; render(); });
    form.addEventListener("submit", function () {
      document.getElementById("uchet-bulk-all-flag").value = data.all !== null ? "1" : "";
      document.getElementById("uchet-bulk-ids").value = Object.keys(data.ids).map(function (id) {
        return data.ids[id] ? id + ":" + data.ids[id] : id;
      }).join(",");
    });
    render();
  }

  function confirmPage(form) {
    var field = document.getElementById("uchet-bulk-field");
    var choose = form.querySelector("button[name=choose]");
    if (field && choose) {
      choose.classList.add("d-none");
      field.addEventListener("change", function () { choose.click(); });
    }
    form.addEventListener("submit", function (e) {
      // The action ran (or was queued): the rows are no longer "to do".
      if (e.submitter && e.submitter.name === "confirm") { store(form.getAttribute("data-table")).clear(); }
    });
  }

  var list = document.getElementById("uchet-bulk");
  if (list) { listPage(list); }
  var confirm = document.getElementById("uchet-bulk-confirm");
  if (confirm) { confirmPage(confirm); }
}());
