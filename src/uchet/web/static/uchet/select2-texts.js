/* Select2 3.5 (vendored by Flask-Admin) speaks English only: «No matches found» showed in the
   Russian look-ups (issue 21). Its texts come from the page, in the user's language, through
   this script tag's data-texts (no inline script: the CSP forbids it). */
(function ($) {
  "use strict";
  var me = document.currentScript;
  if (!$ || !$.fn.select2 || !me) { return; }
  var t = JSON.parse(me.dataset.texts || "{}");
  $.extend($.fn.select2.defaults, {
    formatNoMatches: function () { return t.no_matches; },
    formatSearching: function () { return t.searching; },
    formatLoadMore: function () { return t.load_more; },
    formatAjaxError: function () { return t.ajax_error; },
    formatInputTooShort: function (input, min) { return t.too_short.replace("%(n)s", min - input.length); },
    formatSelectionTooBig: function (limit) { return t.too_big.replace("%(n)s", limit); }
  });
}(window.jQuery));
