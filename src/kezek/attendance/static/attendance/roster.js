/* The roster works offline: every tap is queued in localStorage with its own id and sent in batches when the
 * network allows. The server ignores an id it has seen, so resending a batch (a lost answer, a reload) changes
 * nothing. Without this script the roster still works: each row is a plain form. */
(function () {
  "use strict";
  var STORE = "kezek.attendance.queue";
  var BATCH = 100;
  var root = document.getElementById("roster");
  if (!root) { return; }
  var sessionId = parseInt(root.dataset.session, 10);
  var status = document.getElementById("att-sync");
  var reasonField = document.getElementById("att-reason");
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try { localStorage.setItem(STORE, JSON.stringify(queue)); } catch (e) { /* storage full: the taps stay in memory */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "t" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }
  function show(message, waiting) {
    status.textContent = message;
    status.dataset.waiting = waiting ? "true" : "false";
  }
  function showQueue() {
    var count = load().length;
    if (count) { show(root.dataset.msgWaiting.replace("{count}", count), true); } else { show(root.dataset.msgSaved, false); }
  }
  function paint(button, value) {
    button.dataset.status = value;
    button.setAttribute("aria-pressed", value === "present" ? "true" : "false");
    button.querySelector(".att-state").textContent = value === "present" ? root.dataset.labelPresent : root.dataset.labelAbsent;
    var form = button.closest("form");
    form.querySelector("input[name=status]").value = value === "present" ? "absent" : "present";
  }
  function enqueue(childId, value) {
    var queue = load();
    queue.push({
      client_mark_id: newId(), session_id: sessionId, child_id: childId, status: value,
      reason: reasonField ? reasonField.value : ""
    });
    save(queue);
  }

  function flush() {
    if (sending) { return; }
    var queue = load();
    if (!queue.length) { showQueue(); return; }
    var batch = queue.slice(0, BATCH);
    sending = true;
    show(root.dataset.msgSending, true);
    fetch(root.dataset.endpoint, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf, "Accept": "application/json" },
      body: JSON.stringify({ marks: batch })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) { return { response: response, body: body }; });
    }).then(function (answer) {
      sending = false;
      var response = answer.response, body = answer.body;
      if (response.ok || response.status === 422) {
        // Answered: the batch is done (saved, already saved, or refused for a reason shown below).
        var sent = {};
        batch.forEach(function (item) { sent[item.client_mark_id] = true; });
        save(load().filter(function (item) { return !sent[item.client_mark_id]; }));
        var refused = (body.results || []).filter(function (r) { return r.result === "refused"; });
        if (response.status === 422 || refused.length) {
          show(refused.length ? refused[0].message : (body.title + " " + (body.detail || "")), true);
          return;
        }
        if (load().length) { flush(); } else { showQueue(); }
        return;
      }
      showQueue();  // signed out or the server is busy: keep the marks and try again later
    }).catch(function () {
      sending = false;
      showQueue();  // no network: the marks stay queued
    });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "att-bulk") {
      event.preventDefault();
      root.querySelectorAll(".att-toggle").forEach(function (button) {
        if (button.dataset.status !== "present") {
          paint(button, "present");
          enqueue(parseInt(button.dataset.child, 10), "present");
        }
      });
      showQueue();
      flush();
      return;
    }
    var button = form.querySelector(".att-toggle");
    if (!button) { return; }
    event.preventDefault();
    var value = button.dataset.status === "present" ? "absent" : "present";
    paint(button, value);
    enqueue(parseInt(button.dataset.child, 10), value);
    showQueue();
    flush();
  });
  window.addEventListener("online", flush);
  setInterval(flush, 10000);
  flush();
})();
