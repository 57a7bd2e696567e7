/* uchet cards: searchable selects, child records in a modal dialog, uploads, tabs.
   Plain JS on top of Flask-Admin's jQuery, Bootstrap 4 and select2 3.5. Loaded by card.html. */
(function ($) {
  "use strict";
  if (!$) { return; }

  function csrfOf(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // Reference inputs: select2 with the ajax lookup of the field (prefix search over the
  // target's titles, as the current user: the server applies the row rules).
  function initLookups(root) {
    if (!$.fn.select2) { return; }
    $(root).find("input.uchet-lookup").each(function () {
      var el = $(this);
      if (el.data("select2")) { return; }
      el.select2({
        width: "100%", allowClear: true, placeholder: "—", minimumInputLength: 0,
        ajax: { url: el.data("lookup"), dataType: "json", quietMillis: 200,
                data: function (term) {
                  // lookup_match: the values the look-up depends on, read from the card now
                  // (an order's contact among its client's contacts).
                  var d = { q: term }, form = el.closest("form");
                  String(el.data("match") || "").split(",").forEach(function (name) {
                    var own = name && form.find("[name='" + name + "']").first();
                    if (own && own.length && own.val()) { d["m." + name] = own.val(); }
                  });
                  return d;
                },
                results: function (d) { return { results: d.results || [] }; } },
        initSelection: function (element, callback) {
          var v = element.val();
          if (v) { callback({ id: v, text: element.data("title") || v }); }
        }
      });
    });
  }

  // File inputs: refuse a file over the size limit before it is sent (the rest of the
  // input stays in the form), and preview a chosen image.
  function initFiles(root) {
    $(root).find("input[type=file]").on("change", function () {
      var input = this, file = input.files && input.files[0];
      var max = parseInt(input.getAttribute("data-max-size") || "0", 10);
      var error = $(input).siblings(".uchet-size-error");
      var preview = $(input).siblings(".uchet-preview-new");
      error.text("").removeClass("d-block");
      input.classList.remove("is-invalid");
      if (file && max && file.size > max) {
        error.text(error.data("text")).addClass("d-block");
        input.classList.add("is-invalid");
        input.value = "";
        preview.addClass("d-none");
        return;
      }
      if (file && file.type.indexOf("image/") === 0 && window.URL) {
        preview.attr("src", URL.createObjectURL(file)).removeClass("d-none");
      } else {
        preview.addClass("d-none");
      }
    });
  }

  // The open tab is kept in the address as #tab=<id>, which names no element: the browser
  // then does not scroll to it, so after saving (the fragment survives the redirect) the
  // page opens at the top with «Запись сохранена» in view, on the same tab (issue 21).
  // A link written as #tab-<id> (the tab pane's own id) opens the tab too.
  function showHashTab() {
    var hash = location.hash, link = null;
    if (hash.indexOf("#tab=") === 0) {
      link = $('.uchet-tabs a[data-tab="' + hash.slice(5).replace(/[^\w-]/g, "") + '"]');
    } else if (hash.indexOf("#tab-") === 0) {
      link = $('.uchet-tabs a[href="' + hash.replace(/[^\w#-]/g, "") + '"]');
    }
    if (link && link.length) { link.tab("show"); }
  }

  // Deleting, and making a document from the record (derive_menu.html), ask first.
  $(document).on("submit", "form.uchet-delete, form.uchet-derive", function (e) {
    if (!window.confirm(this.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  $(document).on("shown.bs.tab", ".uchet-tabs a", function () {
    var tab = this.getAttribute("data-tab");
    if (tab && history.replaceState) {
      history.replaceState(null, "", "#tab=" + tab);
    }
  });

  // -- child records in a modal dialog, without leaving the parent's card ----------------
  var modal = $("#uchet-modal");
  var list = null;  // the child list (.uchet-children) the dialog was opened from

  function showInModal(html) {
    var body = modal.find(".modal-body").html(html);
    modal.find(".modal-title").text(body.find(".uchet-modal-card").data("title") || "");
    initLookups(body);
    initFiles(body);
  }

  function refreshList() {
    if (!list) { return; }
    var tab = list.data("tab");
    fetch(list.data("refresh-url"), { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = $($.parseHTML(html.trim()));
        list.replaceWith(fresh);
        list = fresh;
        $('.uchet-tabs a[data-tab="' + tab + '"] .uchet-child-count').text(fresh.data("total"));
      });
  }

  // -- "show more" on a child tab: the next rows after the last one shown ------------------
  $(document).on("click", ".uchet-child-more", function (e) {
    if (e.ctrlKey || e.metaKey || e.shiftKey) { return; }  // a new tab gets the full list
    e.preventDefault();
    var button = $(this).prop("disabled", true).addClass("disabled");
    var here = button.closest(".uchet-children");
    fetch(this.getAttribute("data-more-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.statusText); } return r.text(); })
      .then(function (html) {
        var next = $($.parseHTML(html.trim()));
        here.find(".uchet-child-table tbody").append(next.find(".uchet-child-row"));
        var more = next.find(".uchet-child-more");
        if (more.length) { button.replaceWith(more); } else { button.remove(); }
      }, function () { window.location = button.attr("href"); });
  });

  function fetchOptions(form, body) {
    var token = csrfOf(form);
    return { method: "POST", body: body, credentials: "same-origin",
             headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" } };
  }

  function answer(r) {
    var type = r.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") >= 0) {
      return r.json().then(function (d) {
        if (d.ok) { modal.modal("hide"); refreshList(); return; }
        modal.find(".modal-body").prepend(
          $('<div class="alert alert-danger uchet-modal-error">').text(d.error || r.statusText));
      });
    }
    return r.text().then(showInModal);
  }

  if (modal.length) {
    // Bootstrap's modal pulls focus back into itself, which makes the search box of a
    // select2 drop-down (appended to <body>) impossible to type in. Cards need typing.
    if ($.fn.modal && $.fn.modal.Constructor) {
      $.fn.modal.Constructor.prototype._enforceFocus = function () {};
    }
    $(document).on("click", "[data-modal-url]", function (e) {
      if (e.ctrlKey || e.metaKey || e.shiftKey) { return; }  // a new tab gets the full page
      e.preventDefault();
      list = $(this).closest(".uchet-children");
      fetch(this.getAttribute("data-modal-url"), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { showInModal(html); modal.modal("show"); });
    });
    modal.on("submit", "form.uchet-modal-form", function (e) {
      e.preventDefault();
      var form = this;
      var body = new FormData(form);
      // A named submit button ("Save anyway" of the duplicate warning) sends its value.
      var by = e.originalEvent && e.originalEvent.submitter;
      if (by && by.name) { body.append(by.name, by.value); }
      var save = $(form).find(".uchet-modal-save").prop("disabled", true);
      fetch(form.getAttribute("action"), fetchOptions(form, body))
        .then(answer)
        .then(function () { save.prop("disabled", false); },
              function () { save.prop("disabled", false); });
    });
    modal.on("click", ".uchet-modal-delete", function () {
      if (!window.confirm(this.getAttribute("data-confirm"))) { return; }
      var body = new FormData();
      body.append("id", this.getAttribute("data-id"));
      body.append("csrf_token", this.getAttribute("data-token"));
      var form = $(this).closest("form")[0];
      var options = fetchOptions(form, body);
      options.headers["X-CSRFToken"] = this.getAttribute("data-token");
      fetch(this.getAttribute("data-url"), options).then(answer);
    });
  }

  $(function () {
    initLookups(document);
    initFiles(document);
    showHashTab();
  });
})(window.jQuery);
