/* uchet list and card behaviour. Plain JS on top of Flask-Admin's jQuery and select2. */
(function () {
  "use strict";
  // Shift-click on a header adds a sort column instead of replacing the sort.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a.uchet-sort");
    if (a && e.shiftKey) { e.preventDefault(); window.location.search = a.dataset.addHref; }
  });
  // Reference inputs: select2 (3.5, shipped by Flask-Admin) with prefix search over the
  // target's titles, fetched from the view's lookup URL.
  if (window.jQuery && jQuery.fn.select2) {
    jQuery("input.uchet-lookup").each(function () {
      var el = jQuery(this);
      el.select2({
        width: "100%", allowClear: true, placeholder: "—", minimumInputLength: 0,
        ajax: { url: el.data("lookup"), dataType: "json", quietMillis: 200,
                data: function (term) { return { q: term }; },
                results: function (d) { return { results: d.results }; } },
        initSelection: function (element, callback) {
          var v = element.val();
          if (v) { callback({ id: v, text: element.data("title") || v }); }
        }
      });
    });
  }
})();
