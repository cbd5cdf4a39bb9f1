// "Why did you leave?": the reason chosen in the mail is sent at once (one click); the page's
// form does the same without this script, with one more click. The text box is for "other".
(function () {
  "use strict";
  var form = document.querySelector(".leave-feedback-form");
  if (!form) return;
  var text = form.querySelector("[data-feedback-text]");
  function toggle() {
    var chosen = form.querySelector("input[name=reason]:checked");
    var other = chosen && chosen.value === "other";
    var typed = text.querySelector("textarea").value;
    text.hidden = !other && !typed;
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=reason]"), function (input) {
    input.addEventListener("change", toggle);
  });
  toggle();
  if (form.hasAttribute("data-autosubmit")) form.submit();
})();
