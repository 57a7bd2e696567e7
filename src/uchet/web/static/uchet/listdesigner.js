/* The list layout designer (issue 15): drag rows with SortableJS (mouse and touch), move
   them with buttons or Alt+Up/Down (keyboard), add and remove sort keys, undo and redo.

   The form itself is the design (the order of its "col" inputs is the columns' order), so
   undo and redo replay snapshots of the form's state: the order of the rows and the value
   of every input in them. */
(function () {
  "use strict";
  var root = document.getElementById("uchet-list-designer");
  if (!root) { return; }
  var columns = document.getElementById("uchet-ld-columns");
  var sortList = document.getElementById("uchet-ld-sort");
  var template = document.getElementById("uchet-ld-sort-template");
  var undoBtn = document.getElementById("uchet-ld-undo");
  var redoBtn = document.getElementById("uchet-ld-redo");
  var history = [];
  var at = -1;

  function rowState(row) {
    var values = [];
    row.querySelectorAll("input, select").forEach(function (el) {
      values.push(el.type === "checkbox" ? el.checked : el.value);
    });
    return values;
  }

  function snapshot() {
    return {
      columns: Array.prototype.map.call(columns.children, function (row) {
        return {id: row.dataset.field, values: rowState(row)};
      }),
      sort: Array.prototype.map.call(sortList.children, rowState)
    };
  }

  function apply(values, row) {
    row.querySelectorAll("input, select").forEach(function (el, i) {
      if (el.type === "checkbox") { el.checked = values[i]; } else { el.value = values[i]; }
    });
  }

  function restore(state) {
    var byId = {};
    Array.prototype.forEach.call(columns.children, function (row) { byId[row.dataset.field] = row; });
    state.columns.forEach(function (item) {
      var row = byId[item.id];
      if (row) { columns.appendChild(row); apply(item.values, row); }
    });
    while (sortList.firstChild) { sortList.removeChild(sortList.firstChild); }
    state.sort.forEach(function (values) { apply(values, newSortRow()); });
  }

  function buttons() {
    undoBtn.disabled = at <= 0;
    redoBtn.disabled = at >= history.length - 1;
  }

  function record() {
    var state = snapshot();
    if (at >= 0 && JSON.stringify(history[at]) === JSON.stringify(state)) { return; }
    history = history.slice(0, at + 1);
    history.push(state);
    at = history.length - 1;
    buttons();
  }

  function undo() { if (at > 0) { at -= 1; restore(history[at]); buttons(); } }
  function redo() { if (at < history.length - 1) { at += 1; restore(history[at]); buttons(); } }

  function newSortRow() {
    var row = template.content.firstElementChild.cloneNode(true);
    sortList.appendChild(row);
    return row;
  }

  function move(row, step) {
    var list = row.parentNode;
    if (step < 0 && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (step > 0 && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else {
      return;
    }
    record();
  }

  [columns, sortList].forEach(function (list) {
    if (window.Sortable) {
      // The fallback (mouse and touch events, not HTML5 drag and drop) behaves the same on
      // phones, desktops and in browser tests.
      window.Sortable.create(list, {
        handle: ".uchet-ld-handle", animation: 120, forceFallback: true,
        ghostClass: "uchet-ld-ghost", onEnd: record
      });
    }
    list.addEventListener("click", function (e) {
      var btn = e.target.closest("button");
      if (!btn) { return; }
      var row = btn.closest("li");
      if (btn.classList.contains("uchet-ld-up")) { move(row, -1); btn.focus(); }
      if (btn.classList.contains("uchet-ld-down")) { move(row, 1); btn.focus(); }
      if (btn.classList.contains("uchet-ld-remove")) { row.parentNode.removeChild(row); record(); }
    });
    list.addEventListener("keydown", function (e) {
      if (!e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) { return; }
      var row = e.target.closest("li");
      if (!row) { return; }
      e.preventDefault();
      move(row, e.key === "ArrowUp" ? -1 : 1);
      (e.target.isConnected ? e.target : row).focus();
    });
    list.addEventListener("change", function (e) {
      // SortableJS dispatches its own "change" events on the list while a row is dragged
      // (with its ghost still in the list): only an input's change is a step to undo.
      if (e.target.matches && e.target.matches("input, select")) { record(); }
    });
  });

  document.getElementById("uchet-ld-sort-add").addEventListener("click", function () {
    newSortRow().querySelector("select").focus();
    record();
  });
  undoBtn.addEventListener("click", undo);
  redoBtn.addEventListener("click", redo);
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey) { return; }
    var typing = e.target.matches && e.target.matches("input[type=number], input:not([type]), textarea");
    if (typing) { return; }  // the field's own undo
    var key = e.key.toLowerCase();
    if (key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
    if (key === "y" || (key === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
  });
  record();
})();
