/* uchet list and card behaviour. Plain JS on top of Flask-Admin's jQuery and select2. */
(function () {
  "use strict";
  // Shift-click on a header adds a sort column instead of replacing the sort.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.uchet-sort");
    if (a && e.shiftKey) { e.preventDefault(); window.location.search = a.dataset.addHref; }
  });
  // Card behaviour (searchable selects, modal dialogs, uploads) lives in card.js.
})();
