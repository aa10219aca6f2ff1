// 报告编撰: an 插入 button ([data-token]) puts its figure token at the cursor of the text area last focused
// (textarea[data-tokens]) and fires "input" so that htmx refreshes the preview. A static file: the
// Content-Security-Policy forbids inline script.
(function () {
  var target = null;
  document.addEventListener("focusin", function (e) { if (e.target.matches("textarea[data-tokens]")) target = e.target; });
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-token]");
    if (!button) return;
    e.preventDefault();
    var area = target || document.querySelector("textarea[data-tokens]");
    if (!area) return;
    var token = button.dataset.token, start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + token + area.value.slice(end);
    area.focus();
    area.selectionStart = area.selectionEnd = start + token.length;
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
