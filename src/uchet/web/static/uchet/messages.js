// The message template editor (issue 19): the placeholder picker inserts at the cursor,
// the e-mail-only fields follow the channel, and the preview follows every change
// (rendered on the server, as the user, on the chosen record).
(function () {
  "use strict";
  var form = document.getElementById("uchet-message-form");
  if (!form) { return; }
  var body = document.getElementById("msg-body");
  var pane = document.getElementById("uchet-message-preview");
  // A field focused before this deferred script ran counts too.
  var focused = document.activeElement;
  var lastField = focused && focused.classList && focused.classList.contains("uchet-message-part")
    ? focused : body;
  var timer = null;
  var sequence = 0;

  form.querySelectorAll(".uchet-message-part").forEach(function (el) {
    el.addEventListener("focus", function () { lastField = el; });
  });

  function insert(text) {
    var el = lastField || body;
    var start = el.selectionStart || 0, end = el.selectionEnd || 0;
    el.value = el.value.slice(0, start) + text + el.value.slice(end);
    el.focus();
    el.selectionStart = el.selectionEnd = start + text.length;
    schedule();
  }
  document.querySelectorAll(".uchet-insert").forEach(function (button) {
    button.addEventListener("click", function () { insert(button.getAttribute("data-text")); });
  });

  var filter = document.getElementById("uchet-catalog-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase();
      document.querySelectorAll("#uchet-message-catalog tr").forEach(function (row) {
        row.classList.toggle("d-none", words !== "" && row.textContent.toLowerCase().indexOf(words) < 0);
      });
    });
  }

  var channel = document.getElementById("msg-channel");
  function followChannel() {
    var sms = channel.value === "sms";
    document.querySelectorAll(".uchet-email-only").forEach(function (el) {
      el.classList.toggle("d-none", sms);
    });
  }
  channel.addEventListener("change", followChannel);

  function element(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function show(data) {
    pane.textContent = "";
    (data.problems || []).forEach(function (p) {
      pane.appendChild(element("div", "alert alert-warning py-1 px-2 mb-2 small uchet-preview-problem", p));
    });
    if (data.to === undefined) { return; }
    var dl = element("dl", "mb-2 small");
    dl.appendChild(element("dt", "", pane.getAttribute("data-to")));
    dl.appendChild(element("dd", "uchet-preview-to", (data.name || "") + " <" + (data.to || "") + ">"));
    if (data.subject) {
      dl.appendChild(element("dt", "", pane.getAttribute("data-subject")));
      dl.appendChild(element("dd", "uchet-preview-subject", data.subject));
    }
    if (data.attachment) {
      dl.appendChild(element("dt", "", pane.getAttribute("data-attachment")));
      dl.appendChild(element("dd", "", data.attachment));
    }
    pane.appendChild(dl);
    if (data.html) {
      // The author's HTML, in a frame that may run nothing and reach nothing.
      var frame = element("iframe", "uchet-preview-html");
      frame.setAttribute("sandbox", "");
      frame.setAttribute("title", pane.getAttribute("data-subject"));
      frame.srcdoc = data.html;
      pane.appendChild(frame);
    } else {
      pane.appendChild(element("pre", "uchet-preview-text", data.text));
    }
    if (data.sms) { pane.appendChild(element("p", "small text-muted uchet-sms-count mb-0", data.sms)); }
  }

  function refresh() {
    var mine = ++sequence;
    var data = new FormData(form);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (r) { return r.json(); }).then(function (json) {
      if (mine === sequence) { show(json); }
    }).catch(function () { /* the next change tries again */ });
  }
  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 400);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  document.getElementById("uchet-message-preview-button").addEventListener("click", function (e) {
    e.preventDefault();
    refresh();
  });
  followChannel();
  refresh();
  form.setAttribute("data-ready", "1");  // the listeners are on (tests wait for this)
})();
