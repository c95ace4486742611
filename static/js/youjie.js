// Small behaviours without inline scripts (the CSP allows only files served by the app).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
