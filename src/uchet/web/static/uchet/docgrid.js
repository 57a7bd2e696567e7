/* uchet document grids (issue 21): child rows edited in place inside the document's card,
   saved with it once, and computed fields shown live as the server computes them.
   Plain JS on top of Flask-Admin's jQuery and select2 3.5. Loaded by card.html.

   Keyboard: Tab moves cell to cell (native); Enter goes to the next row's first cell, adding
   a row after the last one; arrow up/down move between rows in the same column. No formula
   is evaluated here: every computed value comes from the card's live/ endpoint. */
(function ($) {
  "use strict";
  var form = document.getElementById("uchet-card-form");
  var store = form && form.querySelector("input.uchet-grids-input");
  if (!form || !store) { return; }
  var grids = [];
  var deleted = {};
  var LIVE_DELAY = 350;  // ms of quiet typing before the server is asked (debounce)
  var timer = null, asked = 0;

  function columnsOf(el) {
    return Array.prototype.map.call(el.querySelectorAll("thead th[data-name]"), function (th) {
      return {
        name: th.dataset.name, kind: th.dataset.kind, lookup: th.dataset.lookup || "",
        readonly: th.dataset.readonly === "1", required: th.dataset.required === "1",
        choices: th.dataset.choices ? JSON.parse(th.dataset.choices) : [],
        label: th.textContent
      };
    });
  }

  function makeInput(grid, col, row, editable) {
    var value = (row.values || {})[col.name];
    value = value === undefined || value === null ? "" : String(value);
    var input;
    if (col.kind === "computed") {
      input = document.createElement("span");
      input.className = "uchet-grid-computed";
      input.textContent = (row.shown || {})[col.name] || "";
      return input;
    }
    if (col.kind === "choice") {
      input = document.createElement("select");
      input.appendChild(new Option("—", ""));
      col.choices.forEach(function (c) { input.appendChild(new Option(c[1], c[0])); });
      input.value = value;
    } else {
      input = document.createElement("input");
      input.type = col.kind === "lookup" ? "hidden" : (col.kind === "date" ? "date" : "text");
      if (col.kind === "number") {
        input.inputMode = "decimal";
        input.autocomplete = "off";
      }
      input.value = value;
    }
    input.className = "form-control form-control-sm uchet-grid-input";
    input.dataset.name = col.name;
    input.setAttribute("aria-label", col.label);
    if (!editable || col.readonly) { input.disabled = true; }
    if (col.kind === "lookup") {
      input.className = "uchet-grid-lookup";
      input.dataset.lookup = col.lookup;
      input.dataset.title = (row.titles || {})[col.name] || "";
    }
    var problems = (row.errors || {})[col.name];
    if (problems && problems.length) {
      input.classList.add("is-invalid");
      input.title = problems.join(" ");
    }
    return input;
  }

  function initLookup(input) {
    if (!$ || !$.fn.select2) { return; }
    var el = $(input);
    el.select2({
      width: "100%", allowClear: true, placeholder: "—", minimumInputLength: 0,
      ajax: { url: el.data("lookup"), dataType: "json", quietMillis: 200,
              data: function (term) { return { q: term }; },
              results: function (d) { return { results: d.results || [] }; } },
      initSelection: function (element, callback) {
        var v = element.val();
        if (v) { callback({ id: v, text: element.data("title") || v }); }
      }
    });
    if (input.classList.contains("is-invalid")) { el.select2("container").addClass("is-invalid"); }
    el.on("change", function () { schedule(); });
  }

  function toolButton(cls, text, symbol) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-link uchet-grid-" + cls;
    b.tabIndex = -1;  // Tab goes from cell to cell; the tools are for the mouse
    b.title = text;
    b.setAttribute("aria-label", text);
    b.textContent = symbol;
    return b;
  }

  function addRow(grid, row, focus) {
    row = row || { values: {} };
    var tr = document.createElement("tr");
    tr.className = "uchet-grid-row";
    if (row.id) { tr.dataset.id = row.id; tr.dataset.version = row.version || ""; }
    var editable = row.id ? grid.canUpdate : grid.canCreate;
    if (!editable) { tr.dataset.readonly = "1"; }
    var no = document.createElement("td");
    no.className = "uchet-grid-no text-muted";
    tr.appendChild(no);
    grid.columns.forEach(function (col) {
      var td = document.createElement("td");
      td.className = "uchet-grid-" + col.kind;
      td.dataset.name = col.name;
      td.dataset.label = col.label;  // a phone shows the rows as cards, each field named
      var input = makeInput(grid, col, row, editable);
      td.appendChild(input);
      tr.appendChild(td);
    });
    var tools = document.createElement("td");
    tools.className = "uchet-grid-tools text-nowrap";
    if (grid.movable) {
      tools.appendChild(toolButton("up", grid.texts.up, "↑"));
      tools.appendChild(toolButton("down", grid.texts.down, "↓"));
    }
    if (row.id ? grid.canDelete : grid.canCreate) {
      tools.appendChild(toolButton("remove", grid.texts.remove, "×"));
    }
    tr.appendChild(tools);
    grid.body.appendChild(tr);
    tr.querySelectorAll("input.uchet-grid-lookup").forEach(initLookup);
    number(grid);
    if (focus) { focusCell(tr, 0); }
    return tr;
  }

  function number(grid) {
    var rows = grid.body.querySelectorAll("tr.uchet-grid-row");
    rows.forEach(function (tr, i) { tr.querySelector(".uchet-grid-no").textContent = i + 1; });
    grid.el.classList.toggle("uchet-grid-empty", rows.length === 0);
  }

  // The editable cells of a row, in order: inputs, selects and select2 boxes.
  function cellsOf(tr) {
    var out = [];
    tr.querySelectorAll("td[data-name]").forEach(function (td) {
      var s2 = td.querySelector(".select2-container");
      var input = td.querySelector(".uchet-grid-input:not([disabled])");
      if (s2 && !td.querySelector("input.uchet-grid-lookup[disabled]")) { out.push(td); }
      else if (input) { out.push(td); }
    });
    return out;
  }

  function focusCell(tr, index) {
    var cells = cellsOf(tr);
    if (!cells.length) { return; }
    var td = cells[Math.max(0, Math.min(index, cells.length - 1))];
    var lookup = td.querySelector("input.uchet-grid-lookup");
    if (lookup && $) { $(lookup).select2("focus"); return; }
    var input = td.querySelector(".uchet-grid-input");
    input.focus();
    if (input.select) { input.select(); }
  }

  function rowEmpty(tr) {
    return Array.prototype.every.call(
      tr.querySelectorAll("input.uchet-grid-input, input.uchet-grid-lookup, select.uchet-grid-input"),
      function (i) { return !i.value; });
  }

  function onKey(grid, event) {
    var td = event.target.closest("td[data-name]");
    if (!td) { return; }
    var tr = td.parentNode;
    var cells = cellsOf(tr), at = cells.indexOf(td);
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();  // Ctrl+Enter: save the whole document, as from the button
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      return;
    }
    if (event.key === "Enter") {
      // Enter never submits the card from a cell: it is the next row (a new one at the end).
      if (event.target.closest(".select2-container") && $(".select2-drop-active:visible").length) {
        return;  // select2 takes its own Enter (choosing the highlighted record)
      }
      event.preventDefault();
      var next = tr.nextElementSibling;
      if (next) { focusCell(next, 0); }
      else if (grid.canCreate && !rowEmpty(tr)) { addRow(grid, null, true); }
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (event.target.tagName === "SELECT" || event.target.closest(".select2-container")) {
        return;  // a drop-down's own arrows choose its values
      }
      var other = event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling;
      if (other) { event.preventDefault(); focusCell(other, at); }
    }
  }

  function onClick(grid, event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var tr = button.closest("tr.uchet-grid-row");
    if (!tr) { return; }
    if (button.classList.contains("uchet-grid-remove")) {
      if (tr.dataset.id) { (deleted[grid.table] = deleted[grid.table] || []).push(tr.dataset.id); }
      tr.parentNode.removeChild(tr);
    } else if (button.classList.contains("uchet-grid-up") && tr.previousElementSibling) {
      tr.parentNode.insertBefore(tr, tr.previousElementSibling);
    } else if (button.classList.contains("uchet-grid-down") && tr.nextElementSibling) {
      tr.parentNode.insertBefore(tr.nextElementSibling, tr);
    } else { return; }
    number(grid);
    schedule();
  }

  // The row's values: to save, only what the user may change; to compute, all of them.
  function rowValues(tr, all) {
    var values = {};
    tr.querySelectorAll("input.uchet-grid-input, input.uchet-grid-lookup, select.uchet-grid-input")
      .forEach(function (i) { if (all || !i.disabled) { values[i.dataset.name] = i.value; } });
    return values;
  }

  // The grids as the server reads them: rows in order (empty new rows left out), and the
  // existing rows removed.
  function collect(forLive) {
    var out = {};
    grids.forEach(function (grid) {
      var rows = [];
      grid.body.querySelectorAll("tr.uchet-grid-row").forEach(function (tr) {
        if (!tr.dataset.id && rowEmpty(tr)) { if (forLive) { rows.push({}); } return; }
        var values = rowValues(tr, forLive);
        if (forLive) { rows.push(values); return; }
        if (tr.dataset.readonly) { return; }  // a row the user may not change stays as it is
        var titles = {};
        tr.querySelectorAll("input.uchet-grid-lookup").forEach(function (i) {
          var chosen = $ && $(i).select2("data");
          if (chosen) { titles[i.dataset.name] = chosen.text; }
        });
        rows.push({ id: tr.dataset.id || null, version: tr.dataset.version || null,
                    values: values, titles: titles });
      });
      out[grid.table] = forLive ? rows : { rows: rows, deleted: deleted[grid.table] || [] };
    });
    return out;
  }

  function headerValues() {
    var values = {};
    new FormData(form).forEach(function (value, name) {
      if (typeof value !== "string" || name.charAt(0) === "_" || name === "csrf_token") { return; }
      values[name] = value;
    });
    return values;
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, LIVE_DELAY);
  }

  function refresh() {
    timer = null;
    var token = form.querySelector("input[name=csrf_token]");
    var ticket = ++asked;
    fetch(store.dataset.live, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "",
                 "X-Requested-With": "fetch" },
      body: JSON.stringify({ id: store.dataset.id || null, values: headerValues(),
                             rows: collect(true) })
    }).then(function (r) {
      if (r.status === 413) { return r.json().then(function (d) { return { refused: d.message }; }); }
      return r.ok ? r.json() : null;
    }).then(function (data) {
      if (!data || ticket !== asked) { return; }  // a newer answer is on its way
      note(data.refused || "");
      if (data.refused) { stale(); } else { show(data); }
    }).catch(function () { /* the save still computes everything; nothing to do */ });
  }

  /* Too many lines to compute before saving (413): say so, and show no stale values. */
  function note(text) {
    grids.forEach(function (grid) {
      var box = grid.el.querySelector(".uchet-grid-live-note");
      if (box) { box.textContent = text; box.classList.toggle("d-none", !text); }
    });
  }
  function stale() {
    grids.forEach(function (grid) {
      grid.body.querySelectorAll(".uchet-grid-computed").forEach(function (el) { el.textContent = ""; });
      (grid.el.dataset.totals || "").split(",").filter(Boolean).forEach(function (name) {
        var cell = grid.el.querySelector("tfoot [data-total='" + name + "']");
        if (cell) { cell.textContent = ""; }
      });
    });
  }

  function show(data) {
    Object.keys(data.header || {}).forEach(function (name) {
      var box = form.querySelector(".uchet-readonly[data-field='" + name + "'] .form-control-plaintext");
      if (box) { box.textContent = data.header[name][1] || "—"; }
    });
    grids.forEach(function (grid) {
      var trs = grid.body.querySelectorAll("tr.uchet-grid-row");
      var rows = (data.rows || {})[grid.table] || [];
      var filled = (data.filled || {})[grid.table] || [];
      trs.forEach(function (tr, i) {
        Object.keys(rows[i] || {}).forEach(function (name) {
          var span = tr.querySelector("td[data-name='" + name + "'] .uchet-grid-computed");
          if (span) { span.textContent = rows[i][name][1]; }
        });
        Object.keys(filled[i] || {}).forEach(function (name) {
          var input = tr.querySelector("td[data-name='" + name + "'] .uchet-grid-input");
          // Only into a cell still empty and not being typed in: a price from the product.
          if (input && !input.value && document.activeElement !== input) {
            input.value = filled[i][name][0];
          }
        });
      });
      var totals = (data.totals || {})[grid.table] || {};
      Object.keys(totals).forEach(function (name) {
        var cell = grid.el.querySelector("tfoot [data-total='" + name + "']");
        if (cell) { cell.textContent = totals[name][1]; }
      });
    });
  }

  document.querySelectorAll(".uchet-grid").forEach(function (el) {
    var texts = el.querySelector(".uchet-grid-texts").dataset;
    var grid = {
      el: el, table: el.dataset.table, body: el.querySelector("tbody"), columns: columnsOf(el),
      canCreate: el.dataset.canCreate === "1", canUpdate: el.dataset.canUpdate === "1",
      canDelete: el.dataset.canDelete === "1", movable: el.dataset.movable === "1",
      texts: texts
    };
    grids.push(grid);
    deleted[grid.table] = JSON.parse(el.dataset.deleted || "[]");
    JSON.parse(el.dataset.rows || "[]").forEach(function (row) { addRow(grid, row, false); });
    // A new document opens with a line ready to type into (no «save the header first»).
    if (grid.canCreate && !grid.body.querySelector("tr")) { addRow(grid, null, false); }
    el.addEventListener("keydown", function (e) { onKey(grid, e); });
    el.addEventListener("click", function (e) { onClick(grid, e); });
    var add = el.querySelector(".uchet-grid-add");
    if (add) { add.addEventListener("click", function () { addRow(grid, null, true); }); }
  });
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function () { store.value = JSON.stringify(collect(false)); });
  if (grids.length) { schedule(); }
}(window.jQuery));
