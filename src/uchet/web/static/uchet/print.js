/* uchet print menus and the print-form editor. Plain JS; jQuery/select2 only where present.
 *
 * A print link (data-uchet-print) is fetched instead of followed: the file is saved through
 * a temporary link, and a refusal (a broken template, a record that is gone, a list that is
 * too long) is shown on the page the user is on, so nothing typed into a card is lost. */
(function () {
  "use strict";
  if (window.uchetPrintReady) { return; }
  window.uchetPrintReady = true;

  function fileName(header, fallback) {
    if (!header) { return fallback; }
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) { try { return decodeURIComponent(star[1]); } catch (e) { /* plain name below */ } }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function status(text, kind, problems) {
    var box = document.getElementById("uchet-print-status");
    if (!box) { if (kind === "danger") { window.alert(text); } return; }
    box.className = "alert py-1 px-2 mb-1 small uchet-print-status alert-" + kind;
    box.textContent = text;
    if (problems && problems.length) {
      var list = document.createElement("ul");
      list.className = "mb-0 uchet-print-problems";
      problems.forEach(function (p) {
        var li = document.createElement("li"); li.textContent = p; list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (!text) { box.className += " d-none"; }
  }

  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-uchet-print]");
    if (!a || !window.fetch) { return; }
    e.preventDefault();
    var menu = document.getElementById("uchet-print-menu");
    var texts = menu ? menu.dataset : {};
    status(texts.busy || "…", "info");
    fetch(a.href, { credentials: "same-origin", headers: { "X-Uchet-Print": "1" } })
      .then(function (r) {
        if (r.ok) {
          return r.blob().then(function (blob) {
            var link = document.createElement("a");
            link.href = URL.createObjectURL(blob);
            link.download = fileName(r.headers.get("Content-Disposition"), "document");
            document.body.appendChild(link);
            link.click();
            setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
            status("", "info");
          });
        }
        return r.json().catch(function () { return { error: r.status + " " + r.statusText }; })
          .then(function (d) {
            status((texts.failed || "") + " " + (d.error || r.statusText), "danger", d.problems);
          });
      })
      .catch(function (err) { status((texts.failed || "") + " " + err, "danger"); });
  });

  // The editor's record picker: select2 over the form's table, searched by the server.
  function pickers() {
    if (!(window.jQuery && jQuery.fn.select2)) { return; }
    jQuery("input.uchet-print-record").each(function () {
      var el = jQuery(this);
      el.select2({
        width: "100%", allowClear: true, placeholder: el.data("placeholder") || "—",
        minimumInputLength: 0,
        ajax: { url: el.data("url"), dataType: "json", quietMillis: 200,
                data: function (term) { return { q: term }; },
                results: function (d) { return { results: d.results }; } },
        initSelection: function (element, callback) {
          var v = element.val();
          if (v) { callback({ id: v, text: element.data("title") || ("#" + v) }); }
        }
      });
    });
  }

  // The placeholder catalog's filter box.
  function catalogFilter() {
    var box = document.getElementById("uchet-catalog-filter");
    if (!box) { return; }
    box.addEventListener("input", function () {
      var text = box.value.toLowerCase();
      document.querySelectorAll("#uchet-catalog tbody tr").forEach(function (tr) {
        tr.style.display = tr.textContent.toLowerCase().indexOf(text) >= 0 ? "" : "none";
      });
    });
  }

  // New form: choosing a file means "upload my template".
  function newFormFile() {
    var file = document.getElementById("new-file"), upload = document.getElementById("new-upload");
    if (file && upload) { file.addEventListener("change", function () { upload.checked = true; }); }
  }

  function ready() { pickers(); catalogFilter(); newFormFile(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); }
  else { ready(); }
})();
