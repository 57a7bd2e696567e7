/* The top bar's Find box: suggestions as one types (templates/uchet/find_box.html).
 *
 * From two characters on, a short pause after the last key asks the server
 * (``/-/find/suggest?q=``, the same lookups as the Find page) for at most eight records.
 * Up and Down move through them, Enter opens the chosen one (or, with none chosen, submits
 * the box as before), Escape closes the list. A record the user may open links to its card;
 * another user's record links to the Find page, which says only that it exists and who
 * works with it. An answer that arrives after a newer question is dropped.
 */
(function () {
  "use strict";
  var input = document.getElementById("uchet-find");
  var list = document.getElementById("uchet-find-suggest");
  if (!input || !list || !input.dataset.suggest) return;
  var MIN = 2, PAUSE = 250;
  var timer = null, asked = 0, shown = "", active = -1;

  function items() {
    return list.querySelectorAll(".uchet-suggest-item");
  }

  function close() {
    list.classList.remove("show");
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(index) {
    var all = items();
    if (!all.length) return;
    active = (index + all.length) % all.length;
    all.forEach(function (a, i) {
      a.classList.toggle("active", i === active);
      a.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[active].id);
    all[active].scrollIntoView({ block: "nearest" });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function render(data) {
    list.textContent = "";
    active = -1;
    data.items.forEach(function (it, i) {
      var a = el("a", "dropdown-item uchet-suggest-item" + (it.visible ? "" : " uchet-suggest-hidden"));
      a.href = it.url;
      a.id = "uchet-suggest-" + i;
      a.setAttribute("role", "option");
      var head = el("div", "d-flex justify-content-between");
      head.appendChild(el("span", "uchet-suggest-title", it.title));
      head.appendChild(el("small", "text-muted ml-2", it.table));
      a.appendChild(head);
      if (it.fields.length) a.appendChild(el("small", "d-block text-muted uchet-suggest-fields", it.fields.join(" · ")));
      if (it.note) a.appendChild(el("small", "d-block uchet-suggest-note", it.note));
      list.appendChild(a);
    });
    if (!data.items.length) {
      close();
      return;
    }
    list.appendChild(el("div", "dropdown-divider"));
    var all = el("a", "dropdown-item small uchet-suggest-all", data.all.text);
    all.href = data.all.url;
    list.appendChild(all);
    list.classList.add("show");
    input.setAttribute("aria-expanded", "true");
  }

  function ask() {
    var text = input.value.trim();
    if (text.length < MIN) {
      shown = text;
      close();
      return;
    }
    if (text === shown && list.classList.contains("show")) return;
    var mine = ++asked;
    fetch(input.dataset.suggest + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return r.ok && json ? r.json() : null;
      })
      .then(function (data) {
        if (mine !== asked || data === null) return; // a newer question, or logged out
        shown = text;
        render(data);
      })
      .catch(function () { /* offline: the box still submits */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE);
  });
  input.addEventListener("focus", function () {
    if (items().length && input.value.trim() === shown) {
      list.classList.add("show");
      input.setAttribute("aria-expanded", "true");
    }
  });
  input.addEventListener("keydown", function (e) {
    var open = list.classList.contains("show");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) return;
      e.preventDefault();
      choose(active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Enter" && open && active >= 0) {
      e.preventDefault();
      window.location.href = items()[active].href;
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      close();
    }
  });
  // A click in the list must not blur the box first (which would close the list).
  list.addEventListener("mousedown", function (e) { e.preventDefault(); });
  input.addEventListener("blur", close);
})();
