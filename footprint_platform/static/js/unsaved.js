/* Nothing typed is lost: a form marked data-warn-unsaved that has been edited and not saved
   makes the browser ask before the page is left — a step tab, an evidence upload (another
   form), a link or closing the tab. Saving the form itself leaves without asking. */
(function () {
  "use strict";
  var dirty = false;
  function watch(form) {
    form.addEventListener("input", function (event) {
      if (event.target.hasAttribute("data-no-dirty")) return;  // a filter box, never sent
      dirty = true; form.setAttribute("data-dirty", "true");
    });
    form.addEventListener("change", function () { dirty = true; form.setAttribute("data-dirty", "true"); });
    form.addEventListener("submit", function () { dirty = false; });
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-warn-unsaved]"), watch);
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });
})();
