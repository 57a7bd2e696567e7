/* A table's calendar (templates/uchet/calendar.html, issue 21).
 *
 * FullCalendar reads the records of the shown range from the items endpoint (the record
 * service, under the user's rights) and shows month, week, day and a list. Items the user
 * may change can be dragged to another day or time: the move is posted, and if the server
 * refuses it (no right, a validation error, a newer version) the item goes back and the
 * message is shown. Times are the server's wall-clock times: the calendar runs in UTC and
 * sends times without a zone, so the browser's own time zone never shifts them.
 */
(function () {
  "use strict";
  var box = document.getElementById("uchet-calendar");
  if (!box || !window.FullCalendar) return;
  var texts = JSON.parse(box.getAttribute("data-texts"));
  var errorBox = document.getElementById("uchet-board-error");
  var savedBox = document.getElementById("uchet-board-saved");
  var phone = window.matchMedia("(max-width: 575px)");

  function show(el, text) {
    errorBox.classList.add("d-none");
    savedBox.classList.add("d-none");
    if (text) {
      el.textContent = text;
      el.classList.remove("d-none");
    }
  }

  function naive(date, allDay) {
    // "2026-12-07T10:30:00" in the calendar's UTC = the server's wall-clock time.
    var iso = date.toISOString();
    return allDay ? iso.slice(0, 10) : iso.slice(0, 19);
  }

  function move(info) {
    var ev = info.event;
    var body = {
      id: Number(ev.id),
      start: naive(ev.start, ev.allDay),
      version: ev.extendedProps.version
    };
    fetch(box.getAttribute("data-move"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": box.getAttribute("data-csrf")
      },
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(function (data) {
          return { ok: response.ok, data: data };
        });
      })
      .then(function (result) {
        if (result.ok) {
          ev.setExtendedProp("version", result.data.version);
          show(savedBox, texts.saved.replace("%(title)s", ev.title));
        } else {
          info.revert();
          show(errorBox, texts.failed + ": " + (result.data.error || ""));
        }
      })
      .catch(function () {
        info.revert();
        show(errorBox, texts.failed);
      });
  }

  var calendar = new window.FullCalendar.Calendar(box, {
    locale: box.getAttribute("data-locale") === "ru" ? "ru" : "en",
    timeZone: "UTC",
    initialView: phone.matches ? "listWeek" : box.getAttribute("data-initial"),
    headerToolbar: phone.matches
      ? { left: "prev,next", center: "title", right: "today" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
    footerToolbar: phone.matches ? { center: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" } : false,
    buttonText: { today: texts.today, month: texts.month, week: texts.week, day: texts.day, list: texts.list },
    allDayText: texts.all_day,
    moreLinkText: texts.more,
    height: "auto",
    firstDay: 1,
    nowIndicator: true,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    dayMaxEvents: true,
    eventStartEditable: true,
    eventDurationEditable: false,
    defaultTimedEventDuration: "01:00",
    longPressDelay: 400,
    events: function (range, success, failure) {
      var url = box.getAttribute("data-items") +
        "?start=" + encodeURIComponent(range.startStr.slice(0, 10)) +
        "&end=" + encodeURIComponent(range.endStr.slice(0, 10));
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (items) {
          success(items.map(function (item) {
            return {
              id: String(item.id),
              title: item.title,
              start: item.start,
              end: item.end || undefined,
              allDay: item.allDay,
              editable: item.editable,
              url: box.getAttribute("data-card") + item.id,
              classNames: item.editable ? ["uchet-cal-item"] : ["uchet-cal-item", "uchet-cal-locked"],
              extendedProps: { version: item.version }
            };
          }));
        })
        .catch(function (err) {
          show(errorBox, texts.load_failed);
          failure(err);
        });
    },
    eventDrop: move
  });
  calendar.render();
})();
