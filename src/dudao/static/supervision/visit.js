// The phone's visit form (supervision/visit_form.html). Every saved visit goes first into a queue in the phone's
// IndexedDB, then the queue is synced to the server (POST, multipart: the visit as JSON + the photos). Offline, the
// visit waits in the queue and is sent when the browser is back online. The server dedupes by the visit's client
// UUID, so a sync repeated after a lost answer makes no second record; a visit the server refuses (e.g. the school
// is no longer assigned to this inspector) stays in the queue, flagged with the server's message.
(function () {
  "use strict";
  var app = document.getElementById("visit-app");
  if (!app) return;
  var form = document.getElementById("visit-form");
  var syncUrl = app.dataset.syncUrl;
  var words = {};
  document.querySelectorAll("#msg-templates").forEach(function (t) {
    t.content.querySelectorAll("[data-key]").forEach(function (el) { words[el.dataset.key] = el.textContent; });
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.swUrl, { scope: "/supervision/" }).catch(function () {});
  }

  // ------------------------------------------------------------------ the queue (IndexedDB)
  var dbPromise = new Promise(function (resolve, reject) {
    var open = indexedDB.open("dudao-visits", 1);
    open.onupgradeneeded = function () { open.result.createObjectStore("queue", { keyPath: "client_uuid" }); };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { reject(open.error); };
  });

  function store(mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction("queue", mode);
        var result = work(tx.objectStore("queue"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  function queued() { return store("readonly", function (s) { return s.getAll(); }); }
  function put(record) { return store("readwrite", function (s) { s.put(record); }); }
  function drop(uuid) { return store("readwrite", function (s) { s.delete(uuid); }); }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function render() {
    return queued().then(function (records) {
      var list = document.getElementById("queue");
      list.textContent = "";
      records.forEach(function (r) {
        var li = document.createElement("li");
        li.dataset.uuid = r.client_uuid;
        li.className = r.refused ? "refused" : "waiting";
        li.textContent = r.schoolName + " · " + r.visit.visited_on + " · " +
          (r.refused ? words.refused + "：" + r.refused : words.waiting);
        list.appendChild(li);
      });
      document.getElementById("queue-empty").hidden = records.length > 0;
    });
  }

  function status(text) { document.getElementById("net-status").textContent = text; }

  // One sync at a time. A request that arrives while one runs (typically the "online" event firing while the
  // sync started by a save made offline is still failing) is not dropped: it runs once the current one ends —
  // otherwise the visit would wait until the next save or reload.
  var syncing = null;
  var again = false;
  function sync() {
    if (syncing) { again = true; return syncing; }
    again = false;
    syncing = queued().then(function (records) {
      return records.reduce(function (chain, r) {
        return r.refused ? chain : chain.then(function () { return send(r); });
      }, Promise.resolve());
    }).then(render, render).then(finish, finish);
    return syncing;
  }
  function finish() {
    syncing = null;
    if (again) return sync();
  }
  // Phones do not always fire "online" (a captive portal, a weak signal that comes back): while visits wait,
  // try again every half minute.
  setInterval(function () {
    if (navigator.onLine && document.querySelector("#queue li.waiting")) sync();
  }, 30000);

  function send(record) {
    var body = new FormData();
    body.append("visit", JSON.stringify(record.visit));
    (record.photos || []).forEach(function (p) { body.append("photos", p, p.name); });
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    return fetch(syncUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
      if (response.ok && json) {
        return response.json().then(function (data) {
          status(words.saved + " " + data.id);
          return drop(record.client_uuid);
        });
      }
      if (json && response.status >= 400 && response.status < 500) {
        return response.json().then(function (data) {
          record.refused = data.error || String(response.status);
          return put(record);
        });
      }
      // a login page, a CSRF refusal or a server error: keep it queued and try again later
    }, function () { status(words.queued); });
  }

  // ------------------------------------------------------------------ the form
  var picker = document.getElementById("v-checklist");
  function showChecklist() {
    document.querySelectorAll("fieldset.checklist").forEach(function (f) {
      f.hidden = f.dataset.checklist !== picker.value;
    });
  }
  picker.addEventListener("change", showChecklist);
  showChecklist();

  function hhmm() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  var start = document.getElementById("v-start");
  if (!start.value) start.value = hhmm();

  document.getElementById("v-locate").addEventListener("click", function () {
    var shown = document.getElementById("v-location");
    if (!navigator.geolocation) { shown.textContent = words.nogps; return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("v-lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("v-lon").value = pos.coords.longitude.toFixed(6);
      document.getElementById("v-acc").value = Math.round(pos.coords.accuracy);
      shown.textContent = pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5) +
        " · " + words.accuracy + " " + Math.round(pos.coords.accuracy);
    }, function () { shown.textContent = words.nogps; }, { enableHighAccuracy: true, timeout: 15000 });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var parts = picker.value.split(":");
    var answers = {};
    var active = document.querySelector('fieldset.checklist[data-checklist="' + picker.value + '"]');
    active.querySelectorAll("[data-item]").forEach(function (input) {
      answers[input.dataset.item] = input.type === "checkbox" ? input.checked : input.value;
    });
    var end = document.getElementById("v-end");
    if (!end.value) end.value = hhmm();
    var findingText = document.getElementById("v-finding").value.trim();
    var school = document.getElementById("v-school");
    var record = {
      client_uuid: uuid4(),
      schoolName: school.options[school.selectedIndex].text,
      photos: Array.prototype.slice.call(document.getElementById("v-photos").files),
      visit: {
        school: school.value,
        visited_on: document.getElementById("v-date").value,
        started_at: start.value,
        ended_at: end.value,
        kind: parts[0],
        theme: parts[1] || "",
        answers: answers,
        notes: document.getElementById("v-notes").value,
        latitude: document.getElementById("v-lat").value,
        longitude: document.getElementById("v-lon").value,
        accuracy: document.getElementById("v-acc").value,
        findings: findingText ? [{ text: findingText, severity: document.getElementById("v-severity").value }] : [],
        companions: Array.prototype.map.call(
          document.querySelectorAll("#v-companions input[name=companions]:checked"),
          function (box) { return box.value; }
        )
      }
    };
    record.visit.client_uuid = record.client_uuid;
    put(record).then(function () {
      form.reset();
      showChecklist();
      start.value = hhmm();
      status(navigator.onLine ? "" : words.queued);
      return render();
    }).then(sync);
  });

  document.getElementById("v-sync").addEventListener("click", function () {
    // a refused record is tried again only when asked (the school may have been reassigned back)
    queued().then(function (records) {
      return Promise.all(records.map(function (r) { delete r.refused; return put(r); }));
    }).then(sync);
  });
  window.addEventListener("online", function () { status(words.online); sync(); });
  window.addEventListener("offline", function () { status(words.offline); });
  status(navigator.onLine ? "" : words.offline);
  render().then(sync);
})();
