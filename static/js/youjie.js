// Small behaviours without inline scripts (the CSP allows only files served by the app).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// The case page's forms come into their panel when it is opened (cases/views.py, CASE_FORMS).
// A form refused meanwhile (someone else moved the case) comes with its reason (409): shown in
// the panel like a form. Without a connection the panel keeps its link and says why.
document.addEventListener("htmx:beforeSwap", function (event) {
  var slot = event.detail.target;
  if (event.detail.xhr.status === 409 && slot && slot.hasAttribute("data-form-slot")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:sendError", function (event) {
  var panel = event.target.closest("details");
  var slot = panel && panel.querySelector("[data-form-slot]");
  if (slot && !slot.querySelector("[data-form-offline]")) {
    var note = document.createElement("div");
    note.className = "form-text";
    note.setAttribute("data-form-offline", "");
    note.textContent = slot.dataset.offlineText;
    slot.appendChild(note);
  }
});

// The switches (the language, larger text) keep what is being typed, on every page: once
// someone types into a form of the page (or the page shows a form sent back with its errors),
// pressing a switch sends that form's fields to the switch (residents/switches.py) instead of
// the switch's own form, and the page comes back with them (common/drafts.py on the server for
// the app's forms, and here for the few fields drawn by hand: a filter's dates, a tick box).
// Without JavaScript the same happens for the form a page names (`switch_form`).
(function () {
  var footer = document.querySelector("footer[data-switch-url]");
  if (!footer) { return; }
  var KEY = "switched";  // sessionStorage: the fields sent, for the page the switch returns to
  var FRESH_MS = 60000;
  var ERRORS = "[aria-invalid='true'], .is-invalid";
  var KEPT = "input:not([type=hidden]):not([type=file]):not([type=password]):not([type=submit]):not([type=button]), textarea, select";
  var typedIn = null;

  function kept(form) {  // a form of the page whose typing a switch keeps
    return form && form.closest("main") && !form.hasAttribute("data-no-draft") &&
      !form.querySelector("input[type=password]") && form.querySelector(KEPT);
  }
  function forms() { return Array.prototype.slice.call(document.querySelectorAll("main form")); }
  forms().some(function (form) {  // a form sent back with its errors counts as typed
    if (kept(form) && form.querySelector(ERRORS)) { typedIn = form; }
    return typedIn;
  });
  function typing(event) {
    var form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (kept(form) && !event.target.closest("[data-switch]")) { typedIn = form; }
  }
  document.addEventListener("input", typing);
  document.addEventListener("change", typing);

  function hidden(form, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-switch]");
    if (!button || !typedIn || !document.contains(typedIn)) { return; }
    event.preventDefault();
    var back = footer.dataset.back || location.pathname + location.search;
    var checked = typedIn.querySelector(ERRORS) ? "&checked=1" : "";
    var sent = document.createElement("form");
    sent.method = "post";
    sent.action = footer.dataset.switchUrl + "?next=" + encodeURIComponent(back) + checked;
    sent.hidden = true;
    hidden(sent, "csrfmiddlewaretoken", footer.dataset.csrfToken);
    var fields = [];
    new FormData(typedIn).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") { return; }
      if (typeof value !== "string") {  // a chosen file: its name only, and it is asked for again
        if (!value.name) { return; }
        value = value.name;
      }
      fields.push([name, value]);
      hidden(sent, name, value);
    });
    hidden(sent, button.name, button.value);
    try {
      var index = forms().indexOf(typedIn);
      window.sessionStorage.setItem(KEY, JSON.stringify({
        path: back.split("?")[0], at: Date.now(), id: typedIn.id, index: index, fields: fields,
      }));
    } catch (error) { /* no storage: the server's draft still fills the app's forms */ }
    document.body.appendChild(sent);
    sent.submit();
  });

  // Back from a switch: the fields drawn by hand get what was typed too.
  var switched = null;
  try {
    switched = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
    window.sessionStorage.removeItem(KEY);
  } catch (error) { switched = null; }
  if (!switched || switched.path !== location.pathname || Date.now() - switched.at > FRESH_MS) {
    return;
  }
  var form = (switched.id && document.getElementById(switched.id)) || forms()[switched.index];
  if (!form || form.tagName !== "FORM") { return; }
  var values = {};
  switched.fields.forEach(function (pair) { (values[pair[0]] = values[pair[0]] || []).push(pair[1]); });
  // The same form as before the switch: it has every field that was sent.
  if (!Object.keys(values).every(function (name) { return form.elements.namedItem(name); })) {
    return;
  }
  // A form in a panel (a meeting's guest, the reason to cancel) comes back in its open panel.
  for (var holder = form.closest("details"); holder; holder = holder.parentElement.closest("details")) {
    holder.open = true;
  }
  var seen = {};
  form.querySelectorAll(KEPT).forEach(function (field) {
    if (!field.name || field.disabled) { return; }
    var typed = values[field.name] || [];
    if (field.type === "checkbox" || field.type === "radio") {
      field.checked = typed.indexOf(field.value) !== -1;
    } else if (field.multiple) {
      Array.prototype.forEach.call(field.options, function (option) {
        option.selected = typed.indexOf(option.value) !== -1;
      });
    } else if (field.name in values) {
      var nth = seen[field.name] = (seen[field.name] || 0) + 1;
      if (typed.length >= nth) { field.value = typed[nth - 1]; }
    }
  });
})();

// A file field's chooser in the page's language (templates/bootstrap5/layout/field_file.html):
// the native input, whose button the browser words in its own language, is hidden from sight
// (still reached by the keyboard and the label), and the chosen files are named beside it.
function showChosenFiles(choice) {
  var input = choice.querySelector("input[type=file]");
  var names = choice.querySelector(".file-choice-names");
  var chosen = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
  names.textContent = chosen.length ? chosen.join(choice.dataset.joiner) : names.dataset.none;
}
function readyFileChoices(root) {
  root.querySelectorAll(".file-choice:not(.file-choice-ready)").forEach(function (choice) {
    choice.classList.add("file-choice-ready");
    choice.querySelector("input[type=file]").classList.add("visually-hidden");
    choice.querySelector(".file-choice-shown").hidden = false;
    showChosenFiles(choice);
  });
}
document.addEventListener("change", function (event) {
  var choice = event.target.closest && event.target.closest(".file-choice-ready");
  if (choice && event.target.type === "file") { showChosenFiles(choice); }
});
readyFileChoices(document);
document.addEventListener("htmx:load", function (event) { readyFileChoices(event.target); });

// What is typed into a form is kept through Back and a reload: case pages are never kept by
// the browser (they carry residents' data), so Back draws the page anew and a panel's form
// comes back empty. Its fields are kept in this tab's sessionStorage, under the user and the
// page, until the form is sent or the user's session ends (offline.js says "youjie:forget").
// A form whose sending cannot be undone (anonymising a resident) keeps nothing: Back must not
// bring back a confirmation already given (data-no-draft).
(function () {
  var userMeta = document.querySelector('meta[name="youjie-user"]');
  var FORMS = "form[id^='case-form-']:not([data-no-draft]), form[data-keep-draft]";
  var here = "draft:" + (userMeta ? userMeta.content : "-") + ":" + location.pathname + ":";
  var KEPT = "input:not([type=hidden]):not([type=file]):not([type=password]):not([type=submit]), textarea, select";

  function store() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }
  function keep(form) {
    var fields = {};
    form.querySelectorAll(KEPT).forEach(function (field) {
      if (!field.name) { return; }
      if (field.type === "radio" || field.type === "checkbox") {
        // Every box is kept, ticked or not: one unticked by hand stays unticked.
        fields[field.name] = fields[field.name] || [];
        if (field.checked) { fields[field.name].push(field.value); }
      } else {
        fields[field.name] = field.value;  // empty too: a default cleared by hand stays cleared
      }
    });
    var storage = store();
    if (storage) { storage.setItem(here + form.id, JSON.stringify(fields)); }
  }
  function fill(form) {
    var storage = store();
    var kept = storage && storage.getItem(here + form.id);
    if (!kept) { return; }
    var fields = JSON.parse(kept);
    form.querySelectorAll(KEPT).forEach(function (field) {
      if (!(field.name in fields)) { return; }
      var value = fields[field.name];
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = value.indexOf(field.value) !== -1;
      } else {
        field.value = value;  // what was typed last, over the form's default (a deadline)
      }
    });
  }
  function panelOf(formId) {
    var name = formId.replace(/^case-form-/, "");
    return document.getElementById("move-" + name) || document.getElementById("panel-" + name);
  }
  function reopenPanels() {
    var storage = store();
    if (!storage) { return; }
    for (var i = 0; i < storage.length; i++) {
      var key = storage.key(i);
      if (key.indexOf(here) !== 0) { continue; }
      var formId = key.slice(here.length);
      var form = document.getElementById(formId);
      if (form) {  // drawn with the page: filled, and its panel opened to show it
        fill(form);
        var holder = form.closest("details");
        if (holder) { holder.open = true; }
        continue;
      }
      var panel = panelOf(formId);
      var summary = panel && !panel.open && panel.querySelector("summary");
      if (summary) { summary.click(); }  // its form comes by htmx, then is filled (below)
    }
  }
  function forget() {  // every user's drafts in this tab: the phone changes hands
    var storage = store();
    if (!storage) { return; }
    for (var i = storage.length - 1; i >= 0; i--) {
      if (storage.key(i).indexOf("draft:") === 0) { storage.removeItem(storage.key(i)); }
    }
  }
  function kept(event) {  // typing (input), and choices and boxes (change)
    var form = event.target.closest && event.target.closest(FORMS);
    if (form && form.id) { keep(form); }
  }
  document.addEventListener("input", kept);
  document.addEventListener("change", kept);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var storage = store();
    if (form.matches && form.matches(FORMS) && storage) { storage.removeItem(here + form.id); }
  });
  document.addEventListener("htmx:load", function (event) {
    var root = event.target;
    var forms = root.matches && root.matches(FORMS) ? [root] : root.querySelectorAll(FORMS);
    forms.forEach(function (form) { if (form.id) { fill(form); } });
  });
  document.addEventListener("youjie:forget", function () { forget(); });
  // After htmx has set up the page: a panel's summary loads its form on the first click only
  // once htmx has seen it (DOMContentLoaded; htmx's listener was added first, so runs first).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", reopenPanels);
  } else {
    reopenPanels();
  }
})();
