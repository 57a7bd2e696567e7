/* The notification bell: fetch the newest notifications when the dropdown opens. Opening
   one and "mark all read" are ordinary POST forms with their CSRF token (see
   uchet/notifications_menu.html), so they work without this script too. */
(function () {
  "use strict";
  var bell = document.getElementById("uchet-bell");
  if (!bell || !window.jQuery) { return; }
  var toggle = bell.querySelector(".uchet-bell-toggle");
  var menu = bell.querySelector(".uchet-bell-menu");
  var count = bell.querySelector(".uchet-bell-count");

  function showCount(unread) {
    var n = parseInt(unread, 10) || 0;
    count.textContent = n > 99 ? "99+" : String(n);
    count.hidden = n === 0;
  }

  // Flask-Admin's multi-level dropdown helper toggles the menu but lets a link's click
  // through: the link is only for browsers without this script.
  toggle.addEventListener("click", function (event) { event.preventDefault(); });

  window.jQuery(bell).on("show.bs.dropdown", function () {
    fetch(toggle.getAttribute("data-menu"), {
      credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      menu.innerHTML = html;
      var items = menu.querySelector(".uchet-bell-items");
      if (items) { showCount(items.getAttribute("data-unread")); }
    }).catch(function (error) {
      if (window.console) { console.log("uchet bell: " + error); }
      window.location.href = toggle.getAttribute("href");
    });
  });
})();
