// "返回" on the error page: back to the page the user came from (the link's own href, the workbench, when there is no
// history). A static file because the Content-Security-Policy forbids inline script and javascript: URLs.
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-back]");
  if (!link || window.history.length < 2) return;
  event.preventDefault();
  window.history.back();
});
