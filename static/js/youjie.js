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
