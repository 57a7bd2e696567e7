/* The idle lock of the screen (S48; uchet/web/screenlock.py). After the administrator's idle
   minutes without a key, click, touch or scroll, an overlay covers the page and the session
   is locked on the server (POST /session/lock), which then refuses this session's data
   requests. The page underneath is not touched: a half-typed form is still there after the
   password (POST /session/unlock, checked and throttled by the server).
   While the user works, a sign of life (POST /session/alive) at most every half idle time
   keeps the server's idle clock in step with this page's. No inline script or style (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("uchet-screenlock");
  if (!box) { return; }
  var minutes = parseFloat(box.dataset.idleMinutes || "0");
  var form = document.getElementById("uchet-screenlock-form");
  var password = document.getElementById("uchet-screenlock-password");
  var error = document.getElementById("uchet-screenlock-error");
  var idleMs = minutes * 60000;
  var last = Date.now();
  var lastPing = Date.now();
  var locked = false;
  // Activity in any tab of this site counts: a tab left in the background must not lock the
  // session while the user works in another one.
  var SHARED = "uchet-last-activity";

  function lastActivity() {
    var other = 0;
    try { other = parseInt(window.localStorage.getItem(SHARED) || "0", 10) || 0; } catch (e) {}
    return Math.max(last, other);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": box.dataset.csrf,
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded"
      },
      body: body || ""
    });
  }

  function show() {
    if (locked) { return; }
    locked = true;
    box.classList.remove("d-none");
    document.body.classList.add("uchet-locked");
    error.classList.add("d-none");
    password.value = "";
    password.focus();
  }

  function lock() {
    show();
    post(box.dataset.lockUrl);
  }

  function hide() {
    locked = false;
    box.classList.add("d-none");
    document.body.classList.remove("uchet-locked");
    last = lastPing = Date.now();
  }

  function activity(event) {
    if (locked || (event && box.contains(event.target))) { return; }
    last = Date.now();
    try { window.localStorage.setItem(SHARED, String(last)); } catch (e) {}
    if (idleMs && last - lastPing > Math.min(60000, idleMs / 2)) {
      lastPing = last;
      post(box.dataset.aliveUrl).then(function (r) {
        if (r.status === 423) { show(); }  // the server locked first (another tab idled)
      });
    }
  }

  if (idleMs > 0) {
    ["keydown", "mousedown", "touchstart", "wheel", "input"].forEach(function (name) {
      document.addEventListener(name, activity, true);
    });
    setInterval(function () {
      if (!locked && Date.now() - lastActivity() >= idleMs) { lock(); }
    }, 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = "password=" + encodeURIComponent(password.value);
    post(box.dataset.unlockUrl, body).then(function (r) {
      if (r.ok) { hide(); return null; }
      return r.json().then(function (data) {
        error.textContent = (data && data.error) || box.dataset.wrong;
        error.classList.remove("d-none");
        password.value = "";
        password.focus();
      });
    }).catch(function () {
      error.textContent = box.dataset.failed;
      error.classList.remove("d-none");
    });
  });
}());
