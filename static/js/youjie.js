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
