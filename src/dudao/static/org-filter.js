// A searchable unit picker: typing in an <input data-filters="ID"> hides the options of <select id="ID"> whose name
// does not contain the text and selects the first one that does. Without JavaScript the select still works.
document.addEventListener("input", function (event) {
  var box = event.target;
  if (!box.dataset || !box.dataset.filters) return;
  var select = document.getElementById(box.dataset.filters);
  if (!select) return;
  var text = box.value.trim().toLowerCase();
  var first = null;
  for (var i = 0; i < select.options.length; i++) {
    var option = select.options[i];
    var match = !text || option.text.toLowerCase().indexOf(text) !== -1;
    option.hidden = !match;
    if (match && first === null) first = option;
  }
  if (first && select.selectedOptions.length && select.selectedOptions[0].hidden) first.selected = true;
});
