/* A long list of suppliers' products gets a filter: a search box before each select marked
   data-picker hides the options (and makers) that do not contain what is typed. Without
   scripts the whole list stays, grouped by maker. The box has no name, so it is never sent,
   and data-no-dirty keeps it from counting as an unsaved edit. */
(function () {
  "use strict";
  function attach(select) {
    if (select.disabled) return;
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.setAttribute("aria-label", select.getAttribute("data-picker-label") || "");
    box.setAttribute("placeholder", select.getAttribute("data-picker-label") || "");
    box.setAttribute("data-no-dirty", "");
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var shown = 0;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (option) {
          var match = !q || (group.label + " " + option.textContent).toLowerCase().indexOf(q) >= 0;
          option.hidden = !match && !option.selected;
          if (!option.hidden) shown += 1;
        });
        group.hidden = shown === 0;
      });
    });
    select.parentNode.insertBefore(box, select);
  }
  Array.prototype.forEach.call(document.querySelectorAll("select[data-picker]"), attach);
})();
