/* The card designer (issue 15): SortableJS drags and the keyboard become layout operations
   that the server applies, checks and draws (formdesigner/designops.py); this page keeps the
   layouts it got back as its undo/redo stack. No hand-written drag and drop. */
(function () {
  "use strict";
  var root = document.getElementById("uchet-designer");
  if (!root || typeof Sortable === "undefined") { return; }
  var canvas = document.getElementById("uchet-d-canvas");
  var message = document.getElementById("uchet-d-message");
  var states = [JSON.parse(root.getAttribute("data-layout"))];
  var at = 0, selected = null, activeTab = null, busy = false, saved = 0;
  var sortables = [];

  function layout() { return states[at]; }
  function say(text, bad) {
    message.textContent = text || "";
    message.className = "small mb-2 " + (bad ? "text-danger" : "text-success");
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.getAttribute("data-token"),
                 "X-Requested-With": "fetch" },
      body: JSON.stringify(body) }).then(function (r) { return r.json(); });
  }

  /* One operation on the current layout; on success the result is a new undo state.
     An operation asked for while the previous one is still being answered waits in a queue
     and is applied to the layout that answer brings (operations name fields and parts, not
     positions, so they still mean the same); none is dropped (issue 15). */
  var queue = [];
  function op(name, args, push) {
    return new Promise(function (resolve) {
      queue.push({ name: name, args: args || {}, push: push, done: resolve });
      if (!busy) { next(); }
    });
  }
  function next() {
    var job = queue.shift();
    if (!job) { setBusy(false); return; }
    setBusy(true);
    send(job.name, job.args, job.push).then(function () { job.done(); next(); });
  }
  function send(name, args, push) {
    return post(root.getAttribute("data-op-url"), { layout: layout(), op: name, args: args,
                                                    record: root.getAttribute("data-record") })
      .then(function (res) {
        if (res.canvas === undefined) { say(res.message, true); draw(); return; }
        if (res.ok && push !== false) {
          states = states.slice(0, at + 1); states.push(res.layout); at = states.length - 1;
        }
        show(res);
        if (res.error) { say(res.error.message, true); mark(res.error.element); }
        else if (res.problems.length) { say(res.problems.map(function (p) { return p.message; }).join(" "), true); }
        else { say(""); }
      }, function () { say(root.getAttribute("data-no-answer"), true); });
  }
  /* data-busy: an operation is on its way or queued (tests wait for the answers). */
  function setBusy(on) { busy = on; root.setAttribute("data-busy", on ? "1" : "0"); }
  function draw() { return op("show", {}, false); }

  function show(res) {
    canvas.innerHTML = res.canvas;
    document.getElementById("uchet-d-palette").innerHTML = res.palette;
    bind();
  }
  function mark(element) {
    var el = element && canvas.querySelector('[data-key="' + element + '"],[data-part="' + element + '"]');
    if (el) { el.classList.add("uchet-d-bad"); select(el); }
  }
  function buttons() {
    document.getElementById("uchet-d-undo").disabled = at === 0;
    document.getElementById("uchet-d-redo").disabled = at >= states.length - 1;
  }

  /* -- drags ----------------------------------------------------------------------------- */
  function keyOf(el) { return el ? el.getAttribute("data-key") : null; }
  function cellDropped(evt) {
    var item = evt.item, to = evt.to, key = keyOf(item);
    if (to.id === "uchet-d-palette-fields") { return; }  // the palette's onAdd takes it off
    var section = to.getAttribute("data-section");
    var args = { key: key, section: section };
    if (!to.classList.contains("uchet-d-newrow")) {
      var others = Array.prototype.filter.call(to.children, function (c) { return c !== item && c.hasAttribute("data-key"); });
      if (!others.length) { draw(); return; }
      args.row_with = keyOf(others[0]);
      var next = item.nextElementSibling;
      while (next && !next.hasAttribute("data-key")) { next = next.nextElementSibling; }
      if (next) { args.before = keyOf(next); }
    }
    op("place", args);
  }
  function sectionDropped(evt) {
    var section = evt.item.getAttribute("data-section");
    var to = evt.to, tab = to.getAttribute("data-tab");
    var next = evt.item.nextElementSibling;
    var args = { section: section, tab: tab };
    if (next && next.getAttribute("data-section") && !to.classList.contains("uchet-d-droptab")) { args.before = next.getAttribute("data-section"); }
    if (evt.from === to && evt.oldIndex === evt.newIndex) { return; }
    op("move_section", args);
  }
  function dropbar(on) {
    var bar = document.getElementById("uchet-d-dropbar");
    bar.classList.toggle("d-none", !on);
  }
  /* A reference's input is a select2 box made by card.js on real cards; the canvas is not
     a form, so it shows the chosen record's title in a plain (disabled) input instead. */
  function titles() {
    canvas.querySelectorAll("input.uchet-lookup").forEach(function (input) {
      var shown = document.createElement("input");
      shown.className = "form-control"; shown.disabled = true;
      shown.value = input.getAttribute("data-title") || "";
      input.parentNode.insertBefore(shown, input);
    });
  }
  function bind() {
    titles();
    sortables.forEach(function (s) { s.destroy(); });
    sortables = [];
    var common = { animation: 120, forceFallback: true, fallbackTolerance: 4, ghostClass: "uchet-d-ghost",
                   filter: ".uchet-d-hint", preventOnFilter: false };
    canvas.querySelectorAll(".uchet-d-row").forEach(function (row) {
      sortables.push(Sortable.create(row, Object.assign({}, common, {
        group: { name: "cells", pull: true, put: function (to, from) {
          var g = from.options.group.name;
          if (g === "new-block") { return true; }  // a block is a row of its own
          return g === "cells" && (to.el.classList.contains("uchet-d-newrow") || to.el.querySelectorAll("[data-key]").length < 4); } },
        draggable: ".uchet-d-cell", onEnd: cellDropped })));
    });
    var pal = document.getElementById("uchet-d-palette-fields");
    sortables.push(Sortable.create(pal, Object.assign({}, common, {
      group: { name: "cells", pull: "clone", put: true }, sort: false, draggable: ".uchet-d-palette-item",
      onEnd: function (evt) { if (evt.to !== pal) { cellDropped(evt); } },
      onAdd: function (evt) { op("remove", { key: keyOf(evt.item) }); } })));
    // Section lists, and the tabs of the drop bar (a section dragged onto another tab).
    var bar = document.getElementById("uchet-d-droptabs");
    bar.innerHTML = "";
    canvas.querySelectorAll(".uchet-d-tab").forEach(function (li) {
      var tabId = li.getAttribute("data-tab");
      if (!canvas.querySelector('.uchet-d-sections[data-tab="' + tabId + '"]')) { return; }
      var zone = document.createElement("span");
      zone.className = "uchet-d-droptab"; zone.setAttribute("data-tab", tabId);
      zone.textContent = li.textContent.trim();
      bar.appendChild(zone);
      sortables.push(Sortable.create(zone, Object.assign({}, common, { group: { name: "sections", pull: false, put: true }, draggable: ".none" })));
    });
    canvas.querySelectorAll(".uchet-d-sections").forEach(function (list) {
      sortables.push(Sortable.create(list, Object.assign({}, common, {
        group: { name: "sections", pull: true, put: ["sections", "new-section"] }, handle: ".uchet-d-section-handle",
        draggable: ".uchet-d-section",
        onStart: function () { dropbar(true); },
        onEnd: function (evt) { dropbar(false); sectionDropped(evt); } })));
    });
    var nav = canvas.querySelector(".uchet-d-tabs");
    if (nav) {
      sortables.push(Sortable.create(nav, Object.assign({}, common, { group: { name: "tabs", pull: true, put: ["tabs", "new-tab"] }, draggable: ".uchet-d-tab",
        onEnd: function (evt) {
          if (evt.oldIndex === evt.newIndex) { return; }
          var next = evt.item.nextElementSibling;
          op("move_tab", { tab: evt.item.getAttribute("data-tab"), before: next ? next.getAttribute("data-tab") : null });
        } })));
      nav.querySelectorAll("a[data-toggle=tab]").forEach(function (a) {
        a.addEventListener("click", function () { activeTab = a.getAttribute("data-part"); });
      });
    }
    // The child tab's item is redrawn with the palette, so it is made again each time.
    sortables = sortables.concat(newItems(document.getElementById("uchet-d-palette")));
    if (activeTab) {
      var link = canvas.querySelector('a[data-part="' + activeTab + '"]');
      if (link && window.jQuery) { window.jQuery(link).tab("show"); }
    }
    if (selected) {
      var again = canvas.querySelector('[data-key="' + selected + '"],[data-part="' + selected + '"]');
      if (again) { select(again, true); } else { select(null); }
    }
    buttons();
  }

  /* New parts dragged from the palette (issue 15): SortableJS clones the palette's item into
     the place it is dropped on (a tab's section list, the tab row, a section's rows); the
     clone only marks the place, the operation names it and the server draws the result.
     The same items are buttons (click: added at the end) for the keyboard. */
  var NEW_GROUP = { section: "new-section", tab: "new-tab", child: "new-tab", text: "new-block", heading: "new-block" };
  function newDropped(kind, evt) {
    var to = evt.to, item = evt.item, next = item.nextElementSibling;
    item.parentNode.removeChild(item);
    if (kind === "section") {
      while (next && !next.hasAttribute("data-section")) { next = next.nextElementSibling; }
      op("add_section", { tab: to.getAttribute("data-tab"), label: newLabel(), before: next ? next.getAttribute("data-section") : null });
    } else if (kind === "tab" || kind === "child") {
      while (next && !next.hasAttribute("data-tab")) { next = next.nextElementSibling; }
      var before = next ? next.getAttribute("data-tab") : null;
      if (kind === "tab") { op("add_tab", { label: newLabel() || root.getAttribute("data-new-tab"), before: before }); return; }
      var sel = document.getElementById("uchet-d-child");
      op("add_child_tab", { children: sel.value, label: newLabel() || sel.options[sel.selectedIndex].text, before: before });
    } else {
      var section = to.closest(".uchet-d-section"), args = { section: to.getAttribute("data-section"), text: newLabel(), heading: kind === "heading" };
      if (!to.classList.contains("uchet-d-newrow") && section) {
        args.row = Array.prototype.indexOf.call(section.querySelectorAll(".uchet-d-row:not(.uchet-d-newrow)"), to);
      }
      op("add_block", args);
    }
  }
  function newItems(scope) {
    return Array.prototype.map.call(scope.querySelectorAll(".uchet-d-new"), function (box) {
      var kind = box.getAttribute("data-new");
      return Sortable.create(box, { animation: 120, forceFallback: true, fallbackTolerance: 4,
        ghostClass: "uchet-d-ghost", sort: false, draggable: ".uchet-d-new-item",
        group: { name: NEW_GROUP[kind], pull: "clone", put: false },
        onEnd: function (evt) { if (evt.to !== box) { newDropped(kind, evt); } } });
    });
  }

  /* -- selection, the inspector and the keyboard ------------------------------------------ */
  var inspector = document.getElementById("uchet-d-inspector");
  function partDoc(id) {
    var found = null;
    layout().forEach(function (t) {
      if (t.id === id) { found = t; }
      (t.sections || []).forEach(function (s) { if (s.id === id) { found = s; } });
    });
    return found;
  }
  function select(el, keepFocus) {
    canvas.querySelectorAll(".uchet-d-selected").forEach(function (x) { x.classList.remove("uchet-d-selected"); });
    if (!el) { selected = null; inspector.classList.add("d-none"); return; }
    var cell = el.hasAttribute("data-key");
    selected = cell ? el.getAttribute("data-key") : el.getAttribute("data-part");
    el.classList.add("uchet-d-selected");
    inspector.classList.remove("d-none");
    inspector.querySelector(".uchet-d-for-cell").classList.toggle("d-none", !cell);
    inspector.querySelector(".uchet-d-for-part").classList.toggle("d-none", cell);
    var isTab = !cell && el.tagName === "A";
    inspector.querySelectorAll(".uchet-d-for-section").forEach(function (x) { x.classList.toggle("d-none", cell || isTab); });
    inspector.querySelectorAll(".uchet-d-for-tab").forEach(function (x) { x.classList.toggle("d-none", !isTab); });
    var label = el.getAttribute("data-label") || (el.querySelector("legend") || el).textContent.replace("⠿", "").trim();
    document.getElementById("uchet-d-selected").textContent = label;
    if (cell) {
      var span = /uchet-span-(\d)/.exec(el.className);
      document.getElementById("uchet-d-span").value = span ? span[1] : "1";
    } else {
      var doc = partDoc(selected) || {};
      document.getElementById("uchet-d-part-label").value = doc.label ? (doc.label.ru || doc.label.en || doc.label) : "";
      document.getElementById("uchet-d-collapsible").checked = !!doc.collapsible;
      document.getElementById("uchet-d-collapsed").checked = !!doc.collapsed;
      inspector.querySelectorAll(".uchet-d-part-role").forEach(function (box) { box.checked = (doc.roles || []).indexOf(box.value) >= 0; });
    }
    if (!keepFocus && el.focus) { el.focus({ preventScroll: true }); }
  }
  canvas.addEventListener("click", function (e) {
    var el = e.target.closest("[data-key],.uchet-d-section,a[data-part]");
    if (el && (!el.closest(".uchet-d-section") || el.hasAttribute("data-key") || el.classList.contains("uchet-d-section") || e.target.closest("legend"))) {
      if (!el.hasAttribute("data-key") && e.target.closest("legend")) { el = e.target.closest(".uchet-d-section"); }
      select(el, true);
    }
  });
  canvas.addEventListener("keydown", function (e) {
    if (!e.altKey || !selected) { return; }
    var keys = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right",
                 PageUp: "previous_section", PageDown: "next_section" };
    var move = keys[e.key];
    if (!move) { return; }
    e.preventDefault();
    var el = canvas.querySelector('[data-key="' + selected + '"]');
    if (el) { op("nudge", { key: selected, move: move }); return; }
    var smove = { up: "up", down: "down", previous_section: "previous_tab", next_section: "next_tab" }[move];
    if (smove && canvas.querySelector('.uchet-d-section[data-part="' + selected + '"]')) { op("nudge_section", { section: selected, move: smove }); }
  });
  canvas.addEventListener("focusin", function (e) {
    var el = e.target.closest("[data-key],.uchet-d-section");
    if (el && el === e.target) { select(el, true); }
  });
  inspector.querySelectorAll("[data-move]").forEach(function (b) {
    b.addEventListener("click", function () { op("nudge", { key: selected, move: b.getAttribute("data-move") }); });
  });
  inspector.querySelectorAll("[data-smove]").forEach(function (b) {
    b.addEventListener("click", function () { op("nudge_section", { section: selected, move: b.getAttribute("data-smove") }); });
  });
  inspector.querySelectorAll("[data-tmove]").forEach(function (b) {
    b.addEventListener("click", function () {
      var ids = layout().map(function (t) { return t.id; });
      var i = ids.indexOf(selected) + parseInt(b.getAttribute("data-tmove"), 10);
      if (i < 0 || i >= ids.length) { return; }
      var rest = ids.filter(function (x) { return x !== selected; });
      op("move_tab", { tab: selected, before: rest[i] || null });
    });
  });
  document.getElementById("uchet-d-span").addEventListener("change", function () {
    op("span", { key: selected, span: parseInt(this.value, 10) });
  });
  document.getElementById("uchet-d-remove-cell").addEventListener("click", function () { op("remove", { key: selected }); });
  document.getElementById("uchet-d-remove-part").addEventListener("click", function () { op("remove_part", { part: selected }); });
  document.getElementById("uchet-d-part-apply").addEventListener("click", function () {
    var roles = Array.prototype.filter.call(inspector.querySelectorAll(".uchet-d-part-role"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    var args = { part: selected, label: document.getElementById("uchet-d-part-label").value, roles: roles };
    if (canvas.querySelector('.uchet-d-section[data-part="' + selected + '"]')) {
      args.collapsible = document.getElementById("uchet-d-collapsible").checked;
      args.collapsed = document.getElementById("uchet-d-collapsed").checked;
    }
    op("set_part", args);
  });

  /* -- adding ------------------------------------------------------------------------------ */
  function newLabel() { return document.getElementById("uchet-d-new-label").value.trim(); }
  function currentTab() {
    var pane = canvas.querySelector(".tab-pane.active");
    return pane ? pane.getAttribute("data-tab") : (layout()[0] || {}).id;
  }
  function currentSection() {
    var sel = selected && canvas.querySelector('.uchet-d-section[data-part="' + selected + '"]');
    var cell = selected && canvas.querySelector('[data-key="' + selected + '"]');
    if (sel) { return selected; }
    if (cell && cell.closest(".uchet-d-section")) { return cell.closest(".uchet-d-section").getAttribute("data-section"); }
    var first = canvas.querySelector(".tab-pane.active .uchet-d-section");
    return first ? first.getAttribute("data-section") : null;
  }
  document.getElementById("uchet-d-add-section").addEventListener("click", function () { op("add_section", { tab: currentTab(), label: newLabel() }); });
  document.getElementById("uchet-d-add-tab").addEventListener("click", function () {
    var label = newLabel();
    if (!label) { say(root.getAttribute("data-ask-label"), true); return; }
    op("add_tab", { label: label });
  });
  ["text", "heading"].forEach(function (kind) {
    document.getElementById("uchet-d-add-" + kind).addEventListener("click", function () {
      op("add_block", { section: currentSection(), text: newLabel(), heading: kind === "heading" });
    });
  });
  document.getElementById("uchet-d-palette").addEventListener("click", function (e) {
    if (e.target.id !== "uchet-d-add-child") { return; }
    var sel = document.getElementById("uchet-d-child");
    op("add_child_tab", { children: sel.value, label: newLabel() || sel.options[sel.selectedIndex].text });
  });

  /* -- undo, redo, save, record, role ------------------------------------------------------ */
  function undo() { if (at > 0) { at -= 1; draw(); } }
  function redo() { if (at < states.length - 1) { at += 1; draw(); } }
  document.getElementById("uchet-d-undo").addEventListener("click", undo);
  document.getElementById("uchet-d-redo").addEventListener("click", redo);
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.target.tagName === "INPUT") { return; }
    if (e.key === "z" && !e.shiftKey) { e.preventDefault(); undo(); }
    else if (e.key === "y" || (e.key === "z" && e.shiftKey)) { e.preventDefault(); redo(); }
  });
  /* A save refused as stale offers to re-apply this layout on the revision it named
     (rebase): the server checks it against that version and names what no longer fits. */
  var rebaseButton = document.getElementById("uchet-d-rebase"), latest = null;
  function save(rebase) {
    rebaseButton.classList.add("d-none");
    post(root.getAttribute("data-save-url"), { layout: layout(), role: root.getAttribute("data-role"),
      base: rebase ? String(latest) : root.getAttribute("data-base"), rebase: rebase,
      comment: document.getElementById("uchet-d-comment").value })
      .then(function (res) {
        if (res.ok) { root.setAttribute("data-base", res.revision); saved = at; }
        say(res.message, !res.ok);
        (res.problems || []).forEach(function (p) { mark(p.element); });
        if (res.stale) { latest = res.latest; rebaseButton.classList.remove("d-none"); }
        if (res.ok && rebase) { draw(); }  // the canvas as the new version draws it
      }, function () { say(root.getAttribute("data-no-answer"), true); });
  }
  document.getElementById("uchet-d-save").addEventListener("click", function () { save(false); });
  rebaseButton.addEventListener("click", function () { save(true); });
  document.getElementById("uchet-d-record").addEventListener("change", function () {
    root.setAttribute("data-record", this.value); draw();
  });
  document.getElementById("uchet-d-role").addEventListener("change", function () {
    if (at !== saved && !window.confirm(root.getAttribute("data-unsaved"))) { this.value = root.getAttribute("data-role"); return; }
    var url = new URL(window.location.href);
    url.searchParams.set("role", this.value);
    window.location.href = url.toString();
  });
  bind();
  newItems(document.querySelector(".uchet-d-adds"));  // made once: the adds are not redrawn
  root.setAttribute("data-ready", "1");  // the handlers are in place (tests wait for it)
})();
