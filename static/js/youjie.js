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

// The language switch keeps what is being typed in a panel of the case page (a 查单 note):
// once someone types into one of its forms, the switch's buttons send that form's fields to
// the switch (residents/switches.py), and the case page comes back with the panel filled in.
document.addEventListener("input", function (event) {
  var form = event.target.closest && event.target.closest("form[id^='case-form-']");
  var footer = document.querySelector("footer[data-switch-url]");
  if (!form || !footer) { return; }
  var back = location.pathname + location.search;
  footer.querySelectorAll("button[name='language']").forEach(function (button) {
    button.setAttribute("form", form.id);
    button.setAttribute("formaction", footer.dataset.switchUrl + "?next=" + encodeURIComponent(back));
    button.setAttribute("formmethod", "post");
    button.setAttribute("formenctype", "application/x-www-form-urlencoded");
    button.setAttribute("formnovalidate", "");
  });
});

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
