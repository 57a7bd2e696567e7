/* uchet list and card behaviour. Plain JS on top of Flask-Admin's jQuery and select2.
 *
 * The list keeps all of its state in the URL (sort, q, f.<field>, group, cols, view): every
 * action here computes a new URL and navigates, so the server renders the result. Layout
 * changes (columns, order, widths) are saved per user by a CSRF-protected POST to prefs/,
 * unless the URL pins the columns (cols= or a saved view), where they stay in the URL. */
(function () {
  "use strict";
  var screen = document.getElementById("uchet-list-screen");

  // -- helpers --------------------------------------------------------------------------------
  function params() { return new URLSearchParams(window.location.search); }
  function go(p) {
    p.delete("page"); p.delete("after");
    var qs = p.toString();
    window.location.href = window.location.pathname + (qs ? "?" + qs : "");
  }
  function listOf(text) { return text ? text.split(",").filter(Boolean) : []; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  var texts = screen ? JSON.parse(screen.dataset.texts || "{}") : {};

  function savePrefs(data) {
    return fetch(screen.dataset.prefsUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": screen.dataset.csrf },
      body: JSON.stringify(data)
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (d) { throw new Error(d.error || r.statusText); });
      }
      return r.json();
    }).catch(function (err) { window.alert((texts.save_failed || "") + " " + err.message); throw err; });
  }
  // Columns pinned by the URL change the URL; otherwise they are the user's saved layout.
  function setColumns(names) {
    var p = params();
    if (p.has("cols") || p.has("view")) { p.set("cols", names.join(",")); go(p); return; }
    savePrefs({ columns: names }).then(function () { window.location.reload(); });
  }
  function shownColumns() { return listOf(screen.dataset.columns); }

  // -- sort: click sorts, shift-click adds a sort column -----------------------------------------
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.uchet-sort");
    if (a && e.shiftKey) { e.preventDefault(); window.location.search = a.dataset.addHref; }
  });

  if (screen) {
    initChooser();
    initHeaderDrag();
    initResize();
    initGroups();
    initFilterMenu();
  }

  // -- column chooser ---------------------------------------------------------------------------
  function initChooser() {
    var chooser = document.getElementById("uchet-column-chooser");
    chooser.addEventListener("click", function (e) { e.stopPropagation(); });  // stay open
    chooser.querySelectorAll("input[data-column]").forEach(function (box) {
      box.addEventListener("change", function () {
        var names = shownColumns().filter(function (n) { return n !== box.dataset.column; });
        if (box.checked) { names.push(box.dataset.column); }
        if (!names.length) { box.checked = true; return; }
        setColumns(names);
      });
    });
    document.getElementById("uchet-columns-reset").addEventListener("click", function () {
      var p = params();
      if (p.has("cols")) { p.delete("cols"); }
      savePrefs({ reset: true }).then(function () { go(p); });
    });
    var roleSave = document.getElementById("uchet-role-save");
    if (roleSave) {
      roleSave.addEventListener("click", function () {
        var role = document.getElementById("uchet-role-select").value;
        var widths = currentWidths();
        var data = { scope: "role:" + role, columns: shownColumns() };
        if (Object.keys(widths).length) { data.widths = widths; }
        savePrefs(data).then(function () { roleSave.textContent += " ✓"; });
      });
    }
  }

  // -- drag a header: onto another header to move it, onto the grouping bar to group ----------
  function initHeaderDrag() {
    var bar = document.getElementById("uchet-groupbar");
    var heads = screen.querySelectorAll("th.uchet-col");
    heads.forEach(function (th) {
      th.addEventListener("dragstart", function (e) {
        e.dataTransfer.setData("text/plain", "col:" + th.dataset.field);
        e.dataTransfer.effectAllowed = "move";
        th.classList.add("uchet-dragging");
      });
      th.addEventListener("dragend", function () { th.classList.remove("uchet-dragging"); });
      th.addEventListener("dragover", function (e) { e.preventDefault(); th.classList.add("uchet-drop-target"); });
      th.addEventListener("dragleave", function () { th.classList.remove("uchet-drop-target"); });
      th.addEventListener("drop", function (e) {
        e.preventDefault();
        th.classList.remove("uchet-drop-target");
        var data = e.dataTransfer.getData("text/plain");
        if (data.indexOf("col:") !== 0) { return; }
        var moved = data.slice(4);
        if (moved === th.dataset.field) { return; }
        var names = shownColumns().filter(function (n) { return n !== moved; });
        var rect = th.getBoundingClientRect();
        var at = names.indexOf(th.dataset.field) + (e.clientX > rect.left + rect.width / 2 ? 1 : 0);
        names.splice(at, 0, moved);
        setColumns(names);
      });
    });
    bar.addEventListener("dragover", function (e) { e.preventDefault(); bar.classList.add("uchet-drop"); });
    bar.addEventListener("dragleave", function () { bar.classList.remove("uchet-drop"); });
    bar.addEventListener("drop", function (e) {
      e.preventDefault();
      e.stopPropagation();
      bar.classList.remove("uchet-drop");
      var data = e.dataTransfer.getData("text/plain");
      var group = listOf(screen.dataset.group);
      var name = data.slice(data.indexOf(":") + 1);
      if (data.indexOf("col:") === 0 && group.indexOf(name) < 0) {
        group.push(name);
      } else if (data.indexOf("chip:") === 0) {
        // A chip dropped on another chip moves before it: the grouping levels reorder.
        var onto = e.target.closest(".uchet-group-chip");
        group = group.filter(function (g) { return g !== name; });
        var at = onto && onto.dataset.field !== name ? group.indexOf(onto.dataset.field) : group.length;
        group.splice(at, 0, name);
      } else { return; }
      var p = params(); p.set("group", group.join(",")); go(p);
    });
    // A chip dragged out of the bar and dropped anywhere else ungroups that column.
    bar.querySelectorAll(".uchet-group-chip").forEach(function (chip) {
      chip.addEventListener("dragstart", function (e) {
        e.dataTransfer.setData("text/plain", "chip:" + chip.dataset.field);
        e.dataTransfer.effectAllowed = "move";
      });
    });
    document.addEventListener("dragover", function (e) { e.preventDefault(); });
    document.addEventListener("drop", function (e) {
      var data = e.dataTransfer.getData("text/plain");
      if (data.indexOf("chip:") !== 0 || e.target.closest("#uchet-groupbar")) { return; }
      e.preventDefault();
      var name = data.slice(5);
      var group = listOf(screen.dataset.group).filter(function (g) { return g !== name; });
      var p = params();
      if (group.length) { p.set("group", group.join(",")); } else { p.delete("group"); }
      go(p);
    });
  }

  // -- drag a header's right edge to resize the column ------------------------------------------
  function currentWidths() {
    var widths = {};
    screen.querySelectorAll("th.uchet-sized").forEach(function (th) {
      widths[th.dataset.field] = Math.round(th.getBoundingClientRect().width);
    });
    return widths;
  }
  function initResize() {
    screen.querySelectorAll(".uchet-resize").forEach(function (handle) {
      handle.addEventListener("mousedown", function (e) {
        e.preventDefault();
        e.stopPropagation();
        var th = handle.parentElement;
        var startX = e.clientX, startW = th.getBoundingClientRect().width;
        th.draggable = false;
        var field = th.dataset.field;
        th.classList.add("uchet-sized");
        screen.querySelectorAll('td[data-field="' + field + '"]').forEach(function (td) { td.classList.add("uchet-sized"); });
        function move(ev) {
          var w = Math.max(40, Math.min(2000, startW + ev.clientX - startX));
          th.style.width = w + "px"; th.style.minWidth = w + "px";
        }
        function up() {
          document.removeEventListener("mousemove", move);
          document.removeEventListener("mouseup", up);
          th.draggable = true;
          savePrefs({ widths: currentWidths() });
        }
        document.addEventListener("mousemove", move);
        document.addEventListener("mouseup", up);
      });
    });
  }

  // -- group rows collapse and expand -----------------------------------------------------------
  function initGroups() {
    screen.querySelectorAll(".uchet-group-toggle").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var row = btn.closest("tr");
        var open = btn.getAttribute("aria-expanded") === "true";
        btn.setAttribute("aria-expanded", open ? "false" : "true");
        btn.textContent = open ? "▸" : "▾";
        row.classList.toggle("uchet-collapsed", open);
        applyCollapse();
      });
    });
  }
  // Rows are hidden when any group above them (at a lower level) is collapsed.
  function applyCollapse() {
    var closed = [];  // collapsed state per level of the current nesting
    screen.querySelectorAll("#uchet-list tbody tr").forEach(function (tr) {
      if (tr.classList.contains("uchet-group-row")) {
        var level = parseInt(tr.dataset.level, 10);
        closed.length = level;
        tr.hidden = closed.some(Boolean);
        closed[level] = tr.classList.contains("uchet-collapsed");
      } else {
        tr.hidden = closed.some(Boolean);
      }
    });
  }

  // -- header filter: values with counts, and conditions -----------------------------------------
  function initFilterMenu() {
    var menu = document.getElementById("uchet-filter-menu");
    var openField = null;
    menu.addEventListener("click", function (e) { e.stopPropagation(); });
    document.addEventListener("click", function (e) {
      if (!menu.contains(e.target) && !(e.target.closest && e.target.closest(".uchet-filter-btn"))) {
        menu.classList.remove("show"); openField = null;
      }
    });
    screen.querySelectorAll(".uchet-filter-btn").forEach(function (btn) {
      btn.addEventListener("click", function (e) {
        e.preventDefault();
        e.stopPropagation();
        var th = btn.closest("th");
        if (openField === th.dataset.field) { menu.classList.remove("show"); openField = null; return; }
        openField = th.dataset.field;
        buildMenu(menu, th);
        var rect = btn.getBoundingClientRect(), host = screen.getBoundingClientRect();
        menu.style.left = Math.max(0, Math.min(rect.left - host.left, host.width - 260)) + "px";
        menu.style.top = (rect.bottom - host.top + 2) + "px";
        menu.classList.add("show");
        var first = menu.querySelector("input");
        if (first) { first.focus(); }
      });
    });
  }

  function conditionOf(field) {
    var found = null;
    params().forEach(function (value, key) {
      var m = key.match(/^f\.([^.]+)\.(.+)$/);
      if (m && m[1] === field) { found = { op: m[2], value: value }; }
    });
    return found;
  }

  function buildMenu(menu, th) {
    var field = th.dataset.field, kind = th.dataset.kind;
    menu.innerHTML = "";
    menu.dataset.field = field;
    var cond = conditionOf(field);
    var condBox = null;
    if (kind === "range" || kind === "text") {
      condBox = el("div", { "class": "uchet-filter-condition mb-2" });
      condBox.appendChild(el("div", { "class": "small text-muted" }, texts.condition));
      var ops = kind === "range"
        ? [["between", texts.between], ["ge", texts.at_least], ["le", texts.at_most]]
        : [["contains", texts.contains], ["startswith", texts.startswith]];
      var select = el("select", { "class": "form-control form-control-sm mb-1", id: "uchet-filter-op" });
      ops.forEach(function (o) { select.appendChild(el("option", { value: o[0] }, o[1])); });
      condBox.appendChild(select);
      var type = kind === "range" ? th.dataset.input : "text";
      var a = el("input", { "class": "form-control form-control-sm mb-1", type: type, id: "uchet-filter-a",
                            placeholder: kind === "range" ? texts.from : texts.value });
      var b = el("input", { "class": "form-control form-control-sm mb-1", type: type, id: "uchet-filter-b",
                            placeholder: texts.to });
      condBox.appendChild(a);
      if (kind === "range") { condBox.appendChild(b); }
      if (cond) {
        select.value = cond.op;
        if (cond.op === "between") {
          var parts = cond.value.split(".."); a.value = parts[0] || ""; b.value = parts[1] || "";
        } else { a.value = cond.value; }
      }
      var sync = function () {
        b.hidden = select.value !== "between";
        if (kind === "range") { a.placeholder = select.value === "between" ? texts.from : texts.value; }
      };
      select.addEventListener("change", sync); sync();
      menu.appendChild(condBox);
    }
    menu.appendChild(el("div", { "class": "small text-muted" }, texts.values));
    var search = el("input", { "class": "form-control form-control-sm mb-1", type: "search",
                               placeholder: texts.search_values, id: "uchet-filter-search" });
    menu.appendChild(search);
    var list = el("div", { "class": "uchet-filter-values", id: "uchet-filter-values" });
    menu.appendChild(list);
    var buttons = el("div", { "class": "d-flex mt-2" });
    var apply = el("button", { type: "button", "class": "btn btn-primary btn-sm mr-2", id: "uchet-filter-apply" }, texts.apply);
    var clear = el("button", { type: "button", "class": "btn btn-outline-secondary btn-sm", id: "uchet-filter-clear" }, texts.clear);
    buttons.appendChild(apply); buttons.appendChild(clear);
    menu.appendChild(buttons);

    var chosen = {};
    params().getAll("f." + field).forEach(function (v) { chosen[v] = true; });
    function load(q) {
      var p = params();
      p.delete("page"); p.delete("after"); p.delete("q");
      if (q) { p.set("q", q); }
      list.textContent = texts.loading;
      fetch(screen.dataset.valuesUrl.replace("__F__", encodeURIComponent(field)) + "?" + p.toString(),
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          list.innerHTML = "";
          if (d.error) { list.textContent = d.error; return; }
          if (!d.items.length) { list.textContent = texts.none; }
          d.items.forEach(function (item) {
            var label = el("label", { "class": "d-flex align-items-center mb-0 uchet-filter-value" });
            var box = el("input", { type: "checkbox", "class": "mr-1", value: item.value });
            box.checked = !!chosen[item.value];
            box.addEventListener("change", function () { chosen[item.value] = box.checked; });
            label.appendChild(box);
            label.appendChild(el("span", { "class": "flex-grow-1 uchet-filter-title" }, item.title));
            label.appendChild(el("span", { "class": "badge badge-light ml-1" }, String(item.count)));
            list.appendChild(label);
          });
          if (d.more) { list.appendChild(el("div", { "class": "small text-muted" }, texts.more)); }
        });
    }
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer); timer = setTimeout(function () { load(search.value.trim()); }, 250);
    });
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); apply.click(); } });
    load("");

    function withoutField(p) {
      Array.from(p.keys()).forEach(function (k) {
        if (k === "f." + field || k.indexOf("f." + field + ".") === 0) { p.delete(k); }
      });
      return p;
    }
    apply.addEventListener("click", function () {
      var p = withoutField(params());
      Object.keys(chosen).forEach(function (v) { if (chosen[v]) { p.append("f." + field, v); } });
      if (condBox) {
        var op = document.getElementById("uchet-filter-op").value;
        var a = document.getElementById("uchet-filter-a").value.trim();
        var bInput = document.getElementById("uchet-filter-b");
        var b = bInput ? bInput.value.trim() : "";
        if (op === "between" && (a || b)) { p.set("f." + field + ".between", a + ".." + b); }
        else if (op !== "between" && a) { p.set("f." + field + "." + op, a); }
      }
      go(p);
    });
    clear.addEventListener("click", function () { go(withoutField(params())); });
  }
})();
// Card behaviour (searchable selects, modal dialogs, uploads) lives in card.js.

// What templates cannot write inline under the Content-Security-Policy (issue 13): saved
// column widths (data-width) set through the DOM, and confirmations of dangerous forms.
(function () {
  "use strict";
  document.querySelectorAll("th[data-width]").forEach(function (th) {
    th.style.width = th.dataset.width + "px";
    th.style.minWidth = th.dataset.width + "px";
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.uchetConfirm && !window.confirm(form.dataset.uchetConfirm)) {
      e.preventDefault();
    }
  }, true);
})();
