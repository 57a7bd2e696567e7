/* Fits the top bar's menu into one row on a wide screen (templates/uchet/_menu.html).
 *
 * While the menu is wider than its room, its last entry that is not pinned moves into
 * "More"; the entries keep their configured order there. Reports (pinned) always stay.
 * On every resize everything is put back and fitted again; in the collapsed (phone) menu
 * nothing is moved. Runs right after the bar is parsed, so the bar is fitted before the
 * page is first painted, and again once the web fonts have loaded (they change widths).
 */
(function () {
  "use strict";
  var menu = document.getElementById("uchet-menu");
  if (!menu) return;
  var more = document.getElementById("uchet-more");
  var box = more.querySelector(".uchet-more-menu");
  var entries = Array.prototype.filter.call(menu.children, function (li) {
    return li !== more;
  });
  var wide = window.matchMedia("(min-width: 992px)");

  function overflowing() {
    return menu.scrollWidth > menu.clientWidth + 1;
  }

  function setMoved(li, moved) {
    // A moved category is a heading in "More": its own toggle must not open or take focus.
    li.classList.toggle("uchet-moved", moved);
    var own = li.querySelector(":scope > .dropdown-toggle");
    if (own) {
      if (moved) own.setAttribute("tabindex", "-1");
      else own.removeAttribute("tabindex");
    }
  }

  function fit() {
    entries.forEach(function (li) {
      menu.insertBefore(li, more);
      setMoved(li, false);
    });
    more.classList.add("d-none");
    more.classList.remove("active");
    if (!wide.matches || !overflowing()) return;
    more.classList.remove("d-none");
    var movable = entries.filter(function (li) {
      return !li.classList.contains("uchet-pinned");
    });
    while (overflowing() && movable.length) {
      var li = movable.pop();
      box.insertBefore(li, box.firstChild);
      setMoved(li, true);
    }
    if (box.querySelector(".active")) more.classList.add("active");
  }

  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      fit();
    });
  }
  fit();
  window.addEventListener("resize", later);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(later);
  window.addEventListener("load", later);
})();
