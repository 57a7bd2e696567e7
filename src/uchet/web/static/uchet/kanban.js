/* A table's kanban board (templates/uchet/kanban.html, issue 21).
 *
 * Each column's cards are a SortableJS list in one group, so a card can be dragged to
 * another column. The move is posted; if the server refuses it (no right, a validation
 * error, a newer version) the card goes back to where it was and the message is shown.
 * Users who may not change the board's field get a board that does not drag.
 */
(function () {
  "use strict";
  var board = document.getElementById("uchet-kanban");
  if (!board || !window.Sortable) return;
  var texts = JSON.parse(board.getAttribute("data-texts"));
  var errorBox = document.getElementById("uchet-board-error");
  var savedBox = document.getElementById("uchet-board-saved");
  var editable = board.getAttribute("data-editable") === "true";

  // Column colours come from the choice list; set through the CSSOM (the CSP allows no
  // style attributes in the page).
  Array.prototype.forEach.call(board.querySelectorAll(".uchet-kanban-head[data-color]"), function (head) {
    var color = head.getAttribute("data-color");
    if (/^#[0-9a-fA-F]{3,8}$/.test(color)) head.style.borderTopColor = color;
  });

  function show(el, text) {
    errorBox.classList.add("d-none");
    savedBox.classList.add("d-none");
    el.textContent = text;
    el.classList.remove("d-none");
  }

  function recount() {
    Array.prototype.forEach.call(board.querySelectorAll(".uchet-kanban-column"), function (col) {
      var count = col.querySelector(".uchet-kanban-count");
      var delta = Number(col.getAttribute("data-delta") || 0);
      if (count && delta) {
        count.textContent = String(Number(count.textContent) + delta);
        col.removeAttribute("data-delta");
      }
    });
  }

  function putBack(evt) {
    var from = evt.from;
    var ref = from.children[evt.oldIndex] || null;
    from.insertBefore(evt.item, ref);
  }

  function moved(evt) {
    if (evt.from === evt.to) return;
    var card = evt.item;
    var title = card.querySelector(".uchet-kanban-title").textContent;
    card.classList.add("uchet-kanban-saving");
    fetch(board.getAttribute("data-move"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": board.getAttribute("data-csrf") },
      body: JSON.stringify({
        id: Number(card.getAttribute("data-id")),
        value: evt.to.getAttribute("data-value"),
        version: Number(card.getAttribute("data-version"))
      })
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        card.classList.remove("uchet-kanban-saving");
        if (result.ok) {
          card.setAttribute("data-version", String(result.data.version));
          evt.from.parentNode.setAttribute("data-delta", "-1");
          evt.to.parentNode.setAttribute("data-delta", "1");
          recount();
          show(savedBox, texts.saved.replace("%(title)s", title));
        } else {
          putBack(evt);
          show(errorBox, texts.failed + ": " + (result.data.error || ""));
        }
      })
      .catch(function () {
        card.classList.remove("uchet-kanban-saving");
        putBack(evt);
        show(errorBox, texts.failed);
      });
  }

  Array.prototype.forEach.call(board.querySelectorAll(".uchet-kanban-cards"), function (list) {
    window.Sortable.create(list, {
      group: "uchet-kanban",
      disabled: !editable,
      animation: 120,
      // Mouse and touch events rather than HTML5 drag and drop, as in both designers: the
      // card follows the pointer the same way on every browser and on a phone, and the
      // drop lands where the card is shown (native drag committed to a column crossed on
      // the way when the machine was slow).
      forceFallback: true,
      fallbackTolerance: 4,
      delay: 200,
      delayOnTouchOnly: true,
      ghostClass: "uchet-kanban-ghost",
      filter: ".uchet-kanban-saving",
      onEnd: moved
    });
  });
})();
