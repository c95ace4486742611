// Field work without a signal (cases/offline.py, static/js/sw.js): the service worker, the
// queue of requests and follow-up visits kept in IndexedDB, the banner, and the sending of
// each queued item exactly once (keyed on its submission id) when the connection returns.
(function () {
  "use strict";
  var userMeta = document.querySelector('meta[name="youjie-user"]');
  var banner = document.getElementById("offline-banner");
  var DB_NAME = "youjie-offline";
  var USER_KEY = "youjie-offline-user";
  var WARMED_KEY = "youjie-offline-warmed";
  var WARM_EVERY_MS = 5 * 60 * 1000;
  var MAX_SIDE = 1600; // photos are resized on the phone to at most this many pixels a side

  function say(name, n) {
    var text = (banner && banner.dataset["text" + name]) || "";
    return text.replace("{n}", n);
  }

  // IndexedDB: "queue" (what waits) and "sent" (what went, for the worker's own record).
  function openDb() {
    return new Promise(function (resolve, reject) {
      // Version 2: whatever made an empty database first (a tool), the stores are there.
      var request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = function () {
        ["queue", "sent"].forEach(function (name) {
          if (!request.result.objectStoreNames.contains(name)) {
            request.result.createObjectStore(name, { keyPath: "id" });
          }
        });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function store(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result = work(tx.objectStore(name));
        tx.oncomplete = function () { db.close(); resolve(result && result.result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function all(name) {
    return store(name, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      var user = userMeta && userMeta.content;
      return (items || [])
        .filter(function (item) { return item.user === user; })
        .sort(function (a, b) { return a.created - b.created; });
    });
  }
  function put(name, item) { return store(name, "readwrite", function (s) { s.put(item); }); }
  function remove(name, id) { return store(name, "readwrite", function (s) { s.delete(id); }); }
  function get(name, id) { return store(name, "readonly", function (s) { return s.get(id); }); }

  // Logout and a new person on the phone: every cache holding anything of a user (kept
  // pages, places, the user's name), the queue and the sent list. The app's own files
  // (youjie-precache, youjie-static: the same public CSS, scripts and fonts for everyone) and
  // the service worker stay, so the next person can work offline after one online visit.
  function personal(name) {
    return name.indexOf("youjie-user-") === 0 || name === "youjie-meta";
  }

  // Ask the service worker (which keeps pages one at a time) to do it; without one, here.
  // Resolves with {answer} once done, or null when no worker answered.
  function askWorker(message) {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (!worker) { return Promise.resolve(null); }
    return new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) { resolve({ answer: event.data }); };
      worker.postMessage(message, [channel.port2]);
      setTimeout(function () { resolve(null); }, 3000);
    });
  }

  function tellWorker(message) {
    return askWorker(message).then(function (reply) { return reply !== null; });
  }

  // The session can end without a logout (30 minutes idle, 12 hours in all): the service
  // worker knows when, from the server's last answer. Then, even offline, the kept pages are
  // deleted and the phone shows the queue page, where what was not sent stays, with the
  // warning to log in again. Timers sleep with the phone, so the time is checked again
  // whenever the page is looked at.
  // Several checks can find the end at once (a timer, the page shown again): the first one
  // ends it, the others wait for it, so the queue page is opened once, not opened and aborted.
  var ending = null;
  function endSession() {
    if (ending) return ending;
    document.dispatchEvent(new CustomEvent("youjie:forget"));  // forms' drafts (youjie.js)
    ending = tellWorker({ type: "session-ended" }).then(function () {
      var queuePage = banner && banner.dataset.queueUrl;
      if (queuePage && location.pathname !== queuePage) {
        location.replace(queuePage);
        return true;
      }
      showSessionEnded();
      return true;
    });
    return ending;
  }

  function showSessionEnded() {
    document.documentElement.dataset.sessionEnded = "yes";
    var kept = document.querySelector("[data-offline-cases]");
    if (kept) { kept.textContent = ""; }
    if (!banner) { return; }
    return all("queue").catch(function () { return []; }).then(function (items) {
      var text = say("SessionEnded");
      if (items.length) { text += " " + say("Waiting", items.length) + " · " + say("LoginAgain"); }
      banner.querySelector("[data-offline-state]").textContent = text;
      banner.hidden = false;
    });
  }

  // A question the worker did not answer within its 3 s (a busy phone, or the phone's clock
  // jumping forward while it asked, as after a night in a pocket) is asked again a second
  // later: else the page would never watch the session and keep the pages past its end.
  var SESSION_ASKS = 30;
  // Resolves true when the session is already over (and the page has been told so).
  function watchSession(asked) {
    asked = (asked || 0) + 1;
    return askWorker({ type: "session" }).then(function (reply) {
      if (reply === null) {
        if (navigator.serviceWorker.controller && asked < SESSION_ASKS) {
          setTimeout(function () { watchSession(asked); }, 1000);
        }
        return false;
      }
      var ends = reply.answer;
      if (ends === 0) { return endSession(); }
      if (typeof ends !== "number") { return false; }
      var check = function () {
        if (Date.now() >= ends) { clearInterval(every); endSession(); }
      };
      var every = setInterval(check, 30000);
      setTimeout(check, Math.min(Math.max(ends - Date.now(), 0), 2147483647));
      document.addEventListener("visibilitychange", check);
      window.addEventListener("focus", check);
      return false;
    });
  }

  function forgetEverything() {
    document.dispatchEvent(new CustomEvent("youjie:forget"));  // forms' drafts (youjie.js)
    var steps = [tellWorker({ type: "forget" })];
    if (window.caches) {
      steps.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(personal).map(function (name) { return caches.delete(name); }));
      }));
    }
    steps.push(new Promise(function (resolve) {
      var request = indexedDB.deleteDatabase(DB_NAME);
      request.onsuccess = request.onerror = request.onblocked = function () { resolve(); };
    }));
    localStorage.removeItem(USER_KEY);
    localStorage.removeItem(WARMED_KEY);
    return Promise.all(steps).catch(function () {});
  }

  // The banner: offline, and how many items wait (or were refused).
  function drawBanner() {
    if (!banner) { return Promise.resolve(); }
    return all("queue").then(function (items) {
      var waiting = items.filter(function (i) { return i.status === "waiting"; }).length;
      var refused = items.length - waiting;
      var parts = [];
      if (waiting) { parts.push(say("Waiting", waiting)); }
      if (refused) { parts.push(say("Refused", refused)); }
      banner.querySelector("[data-offline-state]").textContent = navigator.onLine ? "" : say("Offline");
      banner.querySelector("[data-offline-count]").textContent = parts.join(" · ");
      banner.dataset.waiting = String(waiting);
      banner.dataset.refused = String(refused);
      banner.hidden = navigator.onLine && !items.length;
      document.dispatchEvent(new CustomEvent("offline:queue", { detail: items }));
    });
  }

  function flash(text, kind) {
    var main = document.getElementById("main");
    var alert = document.createElement("div");
    alert.className = "alert alert-" + (kind || "info");
    alert.setAttribute("role", "status");
    alert.dataset.testid = "offline-flash";
    alert.textContent = text;
    main.insertBefore(alert, main.firstChild);
  }

  // Photos: drawn again on a canvas at most MAX_SIDE a side, as JPEG (drops the metadata too).
  function resize(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    });
  }

  function fieldsOf(form, skip) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken" && skip.indexOf(name) < 0) {
        fields.push([name, value]);
      }
    });
    return fields;
  }

  function photosOf(input, previous) {
    var files = input ? Array.prototype.slice.call(input.files) : [];
    if (!files.length) { return Promise.resolve(previous || []); }
    return Promise.all(files.map(resize));
  }

  function newId() { return crypto.randomUUID(); }

  // Logging a request: queued on the phone when there is no connection (or when editing).
  function setUpLogForm() {
    var form = document.querySelector('[data-testid="log-form"]');
    if (!form) { return; }
    var draftId = new URLSearchParams(location.search).get("draft");
    var draft = null;
    if (draftId) {
      get("queue", draftId).then(function (item) {
        if (!item) { return; }
        draft = item;
        fillForm(form, item.fields);
        var photos = form.querySelector('input[name="photos"]');
        if (photos && item.photos.length) {
          var note = document.createElement("div");
          note.className = "form-text";
          note.dataset.testid = "photos-kept";
          note.textContent = say("PhotosKept", item.photos.length);
          photos.parentNode.appendChild(note);
        }
      });
    }
    form.addEventListener("change", function (event) { offlinePicker(form, event); });
    form.addEventListener("submit", function (event) {
      if (navigator.onLine && !draftId) { return; }
      event.preventDefault();
      var photosInput = form.querySelector('input[name="photos"]');
      photosOf(photosInput, draft && draft.photos).then(function (photos) {
        var fields = fieldsOf(form, ["submission", "photos"]);
        var id = draft ? draft.id : newId();
        fields.push(["submission", id]);
        return put("queue", {
          id: id,
          user: userMeta.content,
          kind: "case",
          url: form.getAttribute("action") || location.pathname,
          label: labelOf(form),
          fields: fields,
          photos: photos,
          created: draft ? draft.created : Date.now(),
          status: "waiting",
        });
      }).then(function () {
        if (draftId) {
          location.href = banner.dataset.queueUrl;
          return;
        }
        form.reset();
        flash(say("Queued"), "success");
        window.scrollTo(0, 0);
        drawBanner();
      });
    });
  }

  function labelOf(form) {
    var parts = [];
    ["grid", "building", "unit", "category"].forEach(function (name) {
      var chosen = form.querySelector('[name="' + name + '"]:checked, select[name="' + name + '"]');
      if (chosen && chosen.value) {
        var text = chosen.tagName === "SELECT"
          ? chosen.options[chosen.selectedIndex].text
          : (form.querySelector('label[for="' + chosen.id + '"]') || {}).textContent;
        if (text) { parts.push(text.trim()); }
      }
    });
    var description = form.querySelector('[name="description"]');
    if (description && description.value) { parts.push(description.value.slice(0, 40)); }
    return parts.join(" · ");
  }

  function fillForm(form, fields) {
    fields.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      var inputs = form.querySelectorAll('[name="' + name + '"]');
      inputs.forEach(function (input) {
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = input.value === value;
        } else if (input.type !== "file" && name !== "submission") {
          input.value = value;
        }
      });
      if (!inputs.length && (name === "building" || name === "unit")) {
        // The picker was not drawn yet: draw it from the kept places, then choose.
        offlinePicker(form, null).then(function () { fillForm(form, [pair]); });
      }
    });
  }

  // A page or places.json for keeping, asked of the service worker. A redirect (the session
  // ended) is not followed: the login page it leads to would set a new CSRF cookie under the
  // feet of a login form being filled in at that moment.
  function quietly(url, options) {
    return fetch(url, Object.assign({
      headers: { "X-Offline-Keep": "1" },
      credentials: "same-origin",
      redirect: "manual",
    }, options || {}));
  }

  // The place picker without a connection: the buildings and units come from places.json.
  var placesPromise = null;
  function places() {
    if (!placesPromise) {
      placesPromise = quietly(banner.dataset.placesUrl)
        .then(function (r) { return r.json(); });
    }
    return placesPromise;
  }

  function radios(container, name, options, css) {
    container.textContent = "";
    if (!options.length) { return; }
    var group = document.createElement("div");
    group.className = "d-flex flex-wrap gap-2";
    group.setAttribute("role", "group");
    options.forEach(function (option) {
      var input = document.createElement("input");
      input.type = "radio";
      input.className = "btn-check";
      input.name = name;
      input.id = name + "-" + option.id;
      input.value = option.id;
      var label = document.createElement("label");
      label.className = "btn " + css;
      label.htmlFor = input.id;
      label.textContent = option.name;
      group.appendChild(input);
      group.appendChild(label);
    });
    container.appendChild(group);
  }

  function offlinePicker(form, event) {
    if (event && navigator.onLine) { return Promise.resolve(); }
    var target = event ? event.target : null;
    return places().then(function (data) {
      var grid = form.querySelector('[name="grid"]');
      var gridId = grid && grid.value;
      var building = form.querySelector('[name="building"]:checked');
      if (!target || target.name === "grid") {
        var picker = document.getElementById("building-picker");
        if (!target && picker.querySelector('[name="building"]')) { /* drawn by the server */ }
        else {
          radios(picker, "building", data.buildings.filter(function (b) {
            return String(b.grid) === String(gridId);
          }), "btn-outline-primary");
          document.getElementById("unit-picker").textContent = "";
        }
      }
      building = form.querySelector('[name="building"]:checked');
      if (building && (!target || target.name === "building")) {
        radios(document.getElementById("unit-picker"), "unit", data.units.filter(function (u) {
          return String(u.building) === String(building.value);
        }), "btn-outline-secondary");
      }
    }).catch(function () {});
  }

  // A follow-up visit (查单) on a kept case page: queued without a connection.
  function setUpVisitForm() {
    var form = document.querySelector("form[data-offline-visit]");
    if (!form) { return; }
    var draftId = new URLSearchParams(location.search).get("draft");
    var draft = null;
    if (draftId) {
      get("queue", draftId).then(function (item) {
        if (!item) { return; }
        draft = item;
        form.closest("details").open = true;
        fillForm(form, item.fields);
      });
    }
    form.addEventListener("submit", function (event) {
      if (navigator.onLine && !draftId) { return; }
      event.preventDefault();
      photosOf(form.querySelector('input[name="verify-photos"]'), draft && draft.photos)
        .then(function (photos) {
          return put("queue", {
            id: draft ? draft.id : newId(),
            user: userMeta.content,
            kind: "visit",
            caseId: form.dataset.offlineVisit,
            url: "/cases/offline/visits/" + form.dataset.offlineVisit + "/",
            page: location.pathname,
            label: form.dataset.caseCode,
            fields: fieldsOf(form, ["verify-photos"]),
            photos: photos,
            created: draft ? draft.created : Date.now(),
            status: "waiting",
          });
        }).then(function () {
          if (draftId) {
            location.href = banner.dataset.queueUrl;
            return;
          }
          form.reset();
          form.closest("details").open = false;
          flash(say("VisitQueued"), "success");
          window.scrollTo(0, 0);
          drawBanner();
        });
    });
  }

  // Sending: one item at a time, oldest first; each is removed only once the server
  // answered for it. A lost answer leaves it waiting: sent again, the server recognises its
  // submission id (or the same visit) and answers as the first time, so nothing is doubled.
  var syncing = null;
  function sync() {
    if (!navigator.onLine || !userMeta) { return Promise.resolve(); }
    if (syncing) { return syncing; }
    var run = function () { return sendAll().catch(function () {}); };
    syncing = (navigator.locks ? navigator.locks.request("youjie-offline-sync", run) : run())
      .then(function () {
        syncing = null;
        document.documentElement.dataset.offlineSynced = String(Date.now());
        return drawBanner();
      });
    return syncing;
  }

  function sendAll() {
    return all("queue").then(function (items) {
      var waiting = items.filter(function (i) { return i.status === "waiting"; });
      if (!waiting.length) { return; }
      return quietly(banner.dataset.placesUrl, { cache: "no-store" })
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
          if (!response.ok || !json) { throw new Error("login"); }
          return response.json();
        })
        .then(function (data) {
          if (String(data.user) !== userMeta.content) { throw new Error("login"); }
          return waiting.reduce(function (chain, item) {
            return chain.then(function () { return sendOne(item, data.csrf); });
          }, Promise.resolve());
        })
        .catch(function (error) {
          if (error.message === "login") { flash(say("LoginAgain"), "warning"); }
          throw error;
        });
    });
  }

  function sendOne(item, csrf) {
    var body = new FormData();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var photoField = item.kind === "visit" ? "verify-photos" : "photos";
    item.photos.forEach(function (blob, index) {
      body.append(photoField, new File([blob], "photo-" + (index + 1) + ".jpg", { type: "image/jpeg" }));
    });
    var url = item.kind === "visit" ? item.url : banner.dataset.sendCaseUrl;
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
      credentials: "same-origin",
      redirect: "error",
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
      if (response.status >= 500 || (!json && response.status !== 404 && response.status !== 413)) {
        throw new Error("later"); // the server could not answer: try again later
      }
      var answer = json ? response.json() : Promise.resolve({ message: response.statusText });
      return answer.then(function (data) {
        if (response.ok) {
          return put("sent", {
            id: item.id, user: item.user, kind: item.kind, label: item.label,
            code: data.code, url: data.url, at: Date.now(),
          }).then(function () { return remove("queue", item.id); });
        }
        item.status = data.conflict ? "conflict" : "refused";
        item.message = data.message || String(response.status);
        item.errors = data.errors || {};
        return put("queue", item);
      });
    });
  }

  // The queue page: each item with its state, its reason, and edit and delete.
  function drawQueuePage(items) {
    var section = document.getElementById("offline-queue");
    if (!section) { return; }
    var list = section.querySelector("[data-offline-items]");
    list.textContent = "";
    section.querySelector("[data-offline-empty]").hidden = items.length > 0;
    var text = section.dataset;
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "list-group-item";
      li.dataset.testid = "queued-item";
      li.dataset.status = item.status;
      var head = document.createElement("div");
      head.className = "d-flex justify-content-between gap-2";
      var title = document.createElement("span");
      title.textContent = (item.kind === "visit" ? text.textVisit : text.textCase) + " · " + item.label;
      var badge = document.createElement("span");
      badge.className = "badge " + (item.status === "waiting" ? "text-bg-secondary" : "text-bg-danger");
      badge.textContent = item.status === "waiting" ? text.textWaiting
        : item.status === "conflict" ? text.textConflict : text.textRefused;
      head.appendChild(title);
      head.appendChild(badge);
      li.appendChild(head);
      var photos = document.createElement("div");
      photos.className = "small text-body-secondary";
      photos.textContent = text.textPhotos.replace("{n}", item.photos.length);
      li.appendChild(photos);
      if (item.message) {
        var reason = document.createElement("div");
        reason.className = "text-danger small";
        reason.dataset.testid = "queued-reason";
        var details = [];
        Object.keys(item.errors || {}).forEach(function (field) {
          details.push(item.errors[field].join(" "));
        });
        reason.textContent = [item.message].concat(details).join(" ");
        li.appendChild(reason);
      }
      var actions = document.createElement("div");
      actions.className = "d-flex gap-2 mt-1";
      var edit = document.createElement("a");
      edit.className = "btn btn-sm btn-outline-primary";
      edit.textContent = text.textEdit;
      edit.href = (item.kind === "visit" ? item.page : banner.dataset.newUrl) + "?draft=" + item.id;
      var del = document.createElement("button");
      del.type = "button";
      del.className = "btn btn-sm btn-outline-danger";
      del.textContent = text.textDelete;
      del.addEventListener("click", function () {
        if (window.confirm(say("DeleteConfirm"))) { remove("queue", item.id).then(drawBanner); }
      });
      actions.appendChild(edit);
      actions.appendChild(del);
      li.appendChild(actions);
      list.appendChild(li);
    });
    all("sent").then(function (sent) {
      var sentList = document.querySelector("[data-offline-sent]");
      sentList.textContent = "";
      sent.reverse().forEach(function (entry) {
        var li = document.createElement("li");
        li.className = "list-group-item";
        li.dataset.testid = "sent-item";
        var link = document.createElement("a");
        link.href = entry.url;
        link.textContent = entry.code;
        li.appendChild(link);
        li.appendChild(document.createTextNode(" · " + entry.label));
        sentList.appendChild(li);
      });
    });
  }

  function drawKeptCases() {
    var list = document.querySelector("[data-offline-cases]");
    if (!list) { return; }
    places().then(function (data) {
      list.textContent = "";
      data.cases.forEach(function (entry) {
        var li = document.createElement("li");
        li.className = "list-group-item";
        var link = document.createElement("a");
        link.href = entry.url;
        link.textContent = entry.code;
        li.appendChild(link);
        var rest = " · " + entry.category + " · " + entry.place + " · " + entry.state;
        li.appendChild(document.createTextNode(rest + (entry.follow_up_due ? " · " + list.dataset.textDue : "")));
        list.appendChild(li);
      });
    }).catch(function () {});
  }

  // While online: keep the pages needed without a signal in this user's cache (through the
  // service worker, which files them under the user the server names).
  function warm(force) {
    if (!navigator.onLine || !navigator.serviceWorker || !navigator.serviceWorker.controller) {
      document.documentElement.dataset.offlineWhy = "no worker controls the page";
      if (!navigator.serviceWorker) { return Promise.resolve(false); }
      // Which workers the registration holds, for whoever reads why (a test's report).
      return navigator.serviceWorker.getRegistration().then(function (registration) {
        var states = ["installing", "waiting", "active"].map(function (slot) {
          var worker = registration && registration[slot];
          return slot + ": " + (worker ? worker.state : "none");
        });
        document.documentElement.dataset.offlineWhy += " (" + states.join(", ") +
          (navigator.onLine ? "" : ", offline") + ")";
        return false;
      }, function () { return false; });
    }
    var last = Number(localStorage.getItem(WARMED_KEY) || 0);
    if (!force && Date.now() - last < WARM_EVERY_MS) { return Promise.resolve(true); }
    var keep = function (url) {
      return quietly(url).catch(function () {});
    };
    // Tried three times a second apart: a weak signal drops a request now and then.
    var placesJson = function (attempt) {
      return quietly(banner.dataset.placesUrl).then(function (r) { return r.json(); })
        .catch(function (error) {
          if (attempt >= 3) { throw error; }
          return new Promise(function (resolve) { setTimeout(resolve, 1000); })
            .then(function () { return placesJson(attempt + 1); });
        });
    };
    return placesJson(1)
      .then(function (data) {
        var urls = ["/", banner.dataset.newUrl, banner.dataset.queueUrl].concat(
          data.cases.map(function (c) { return c.url; }));
        // A few at a time: a worker's phone on a weak signal, a shared server.
        var chain = Promise.resolve();
        for (var i = 0; i < urls.length; i += 4) {
          (function (batch) {
            chain = chain.then(function () { return Promise.all(batch.map(keep)); });
          })(urls.slice(i, i + 4));
        }
        return chain.then(function () { return tellWorker({ type: "flush" }); });
      })
      .then(function () { localStorage.setItem(WARMED_KEY, String(Date.now())); return true; })
      .catch(function (error) {
        document.documentElement.dataset.offlineWhy = String(error);
        return false;
      });
  }

  function ready() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" })
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function () {
        if (navigator.serviceWorker.controller) { return; }
        // The new worker takes the page when it activates (clients.claim). A busy phone can
        // take seconds for that: wait up to 15 s, not 3, before keeping pages is given up on
        // for this visit (a page loaded with a hard reload is never controlled).
        return new Promise(function (resolve) {
          navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
          setTimeout(resolve, 15000);
        });
      });
  }

  // A busy phone can take longer than ready() waits for its new worker to take the page: the
  // pages are then kept as soon as it does, rather than on the next page opened.
  function warmWhenTaken(user) {
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      tellWorker({ type: "user", user: user })
        .then(function () { return warm(true); })
        .then(function (warmed) {
          document.documentElement.dataset.offlineReady = warmed ? "yes" : "no";
        });
    }, { once: true });
  }

  function setUpLogout() {
    document.querySelectorAll("form[data-offline-logout]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.forgotten) { return; }
        event.preventDefault();
        all("queue").catch(function () { return []; }).then(function (items) {
          if (items.length && !window.confirm(say("LogoutWarning", items.length))) { return; }
          forgetEverything().then(function () {
            form.dataset.forgotten = "1";
            form.submit();
          });
        });
      });
    });
  }

  function start() {
    if (!userMeta) { return; }
    setUpLogout();
    if (!("serviceWorker" in navigator) || !window.indexedDB || !banner) { return; }
    var user = userMeta.content;
    var previous = localStorage.getItem(USER_KEY);
    var checked = previous && previous !== user ? forgetEverything() : Promise.resolve();
    checked.then(function () {
      localStorage.setItem(USER_KEY, user);
      setUpLogForm();
      setUpVisitForm();
      document.addEventListener("offline:queue", function (event) { drawQueuePage(event.detail); });
      drawBanner();
      drawKeptCases();
      var sendButton = document.querySelector("[data-offline-send]");
      if (sendButton) { sendButton.addEventListener("click", sync); }
      window.addEventListener("online", function () { drawBanner(); sync(); });
      window.addEventListener("offline", drawBanner);
      return ready();
    }).then(function () {
      return tellWorker({ type: "user", user: user });
    }).then(function () {
      return watchSession();
    }).then(function (ended) {
      if (ended) { return false; }
      return sync().then(function () { return warm(false); });
    }).then(function (warmed) {
      document.documentElement.dataset.offlineReady = warmed ? "yes" : "no";
      if (!warmed && !navigator.serviceWorker.controller) { warmWhenTaken(user); }
    }).catch(function (error) {
      document.documentElement.dataset.offlineWhy = String(error);
      document.documentElement.dataset.offlineReady = "no";
    });
  }

  start();
})();
