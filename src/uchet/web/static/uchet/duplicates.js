/* uchet: the live duplicate warning of a card (S25). Loaded by card.html.

   A form holding a .uchet-duplicates box (data-url, data-fields, data-id) asks the server,
   as the user types one of the compared fields, which existing records have the same
   value, and shows the answer (HTML rendered by the server) in the box. The handlers are
   delegated, so the forms of the modal dialog get them too. A GET, as the current user: the
   server applies their rights and shows other users' records without details or links. */
(function () {
  "use strict";
  var DELAY = 350;

  function boxOf(form) { return form ? form.querySelector(".uchet-duplicates") : null; }

  function compared(box) {
    return (box.getAttribute("data-fields") || "").split(",").filter(Boolean);
  }

  function check(form) {
    var box = boxOf(form);
    if (!box) { return; }
    var params = new URLSearchParams();
    compared(box).forEach(function (name) {
      var input = form.elements[name];
      if (input && input.value && input.value.trim()) { params.set(name, input.value.trim()); }
    });
    if (box.getAttribute("data-id")) { params.set("id", box.getAttribute("data-id")); }
    var asked = (box._uchetAsked || 0) + 1;
    box._uchetAsked = asked;
    if (Array.from(params.keys()).filter(function (k) { return k !== "id"; }).length === 0) {
      box.innerHTML = "";
      return;
    }
    fetch(box.getAttribute("data-url") + "?" + params.toString(), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || asked !== box._uchetAsked) { return; }  // a later keystroke asked again
        box.innerHTML = d.count ? d.html : "";
      })
      .catch(function () { /* the save still checks: a lost answer only delays it */ });
  }

  function watch(e) {
    var input = e.target;
    var form = input && input.form;
    var box = boxOf(form);
    if (!box || compared(box).indexOf(input.name) < 0) { return; }
    clearTimeout(form._uchetTimer);
    form._uchetTimer = setTimeout(function () { check(form); }, DELAY);
  }

  document.addEventListener("input", watch);
  document.addEventListener("change", watch);
})();
