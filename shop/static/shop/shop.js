// Small enhancements of our own; every page works without this script.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // The country and language selectors apply as soon as a choice is made.
  document.querySelectorAll("form.auto-submit select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();
