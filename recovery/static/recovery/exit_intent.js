// Exit intent on the cart and checkout pages: a guest who moves to leave after some time on the
// page is offered, once per cart, to have the cart saved by e-mail.
// - desktop: the pointer leaves the window at the top (towards the tabs and the address bar);
// - phones: the back button (a history entry this script adds), or the tab hidden (the dialog
//   waits for the shopper's return).
// Nothing is sent before the shopper submits; without this script the dialog never opens.
(function () {
  "use strict";
  var dialog = document.querySelector("[data-exit-intent]");
  if (!dialog || typeof dialog.showModal !== "function") return;

  var form = dialog.querySelector("[data-exit-intent-form]");
  var done = dialog.querySelector("[data-exit-intent-done]");
  var key = dialog.getAttribute("data-exit-intent");
  var afterMs = (parseInt(dialog.getAttribute("data-after-seconds"), 10) || 8) * 1000;
  var started = Date.now();
  var touch = navigator.maxTouchPoints > 0 ||
    (window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  var pending = false;

  function remembered() {
    try {
      return window.localStorage.getItem(key) || window.sessionStorage.getItem(key);
    } catch (e) {
      return "blocked";  // storage refused (a strict private mode): never nag
    }
  }

  function remember(value) {
    try { window.localStorage.setItem(key, value); } catch (e) {
      try { window.sessionStorage.setItem(key, value); } catch (e2) { /* nothing to keep it */ }
    }
  }

  function contactGiven() {
    // On the checkout, an e-mail typed in its own field is saved on the cart by checkout.js.
    var email = document.querySelector("[data-checkout] input[name=email]");
    return !!(email && email.value && email.checkValidity());
  }

  function eligible() {
    return Date.now() - started >= afterMs && !remembered() && !contactGiven() && !dialog.open;
  }

  function open() {
    if (!eligible()) return false;
    remember("shown");
    dialog.showModal();
    var email = form.querySelector("input[name=email]");
    if (email) email.focus();
    return true;
  }

  // Tab and Shift+Tab stay inside the dialog (the page behind is inert while it is open).
  function focusables() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"),
      function (el) {
        return !el.disabled && el.type !== "hidden" && el.getAttribute("tabindex") !== "-1" &&
          el.offsetParent !== null;
      });
  }
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") return;
    var items = focusables();
    if (!items.length) return;
    var first = items[0], last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  // Esc closes (the browser's own "cancel"); so do the close buttons and a tap on the backdrop.
  Array.prototype.forEach.call(dialog.querySelectorAll("[data-exit-intent-close]"), function (b) {
    b.addEventListener("click", function () { dialog.close(); });
  });
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) dialog.close();
  });

  // Desktop: the pointer leaves through the top edge of the window.
  document.addEventListener("mouseout", function (event) {
    if (!event.relatedTarget && event.clientY <= 0) open();
  });

  if (touch) {
    // Phones: the back button. One entry of this page is added; going back from it lands on
    // this page again (no reload) and opens the dialog, or goes on back when it is not due.
    if (window.history && window.history.pushState && !remembered()) {
      window.history.pushState({exitIntent: true}, "");
      window.addEventListener("popstate", function onBack() {
        window.removeEventListener("popstate", onBack);
        if (!open()) window.history.back();
      });
    }
    // The tab hidden (another app, another tab): shown when the shopper comes back.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        pending = eligible();
      } else if (pending) {
        pending = false;
        open();
      }
    });
  }

  function showErrors(errors) {
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-error-for]"), function (el) {
      var messages = errors[el.getAttribute("data-error-for")];
      el.textContent = messages ? messages.join(" ") : "";
      el.hidden = !messages;
    });
    var field = form.querySelector("input[name=email]");
    if (field) field.setAttribute("aria-invalid", errors.email ? "true" : "false");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;  // one submit at a time (the server sends one mail per cart anyway)
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang || "en",
        "X-CSRFToken": csrf ? csrf.value : ""
      },
      body: new FormData(form)
    }).then(function (response) {
      return response.json().catch(function () { return {}; });
    }).then(function (data) {
      if (data.saved) {
        remember("saved");
        form.hidden = true;
        done.hidden = false;
        done.querySelector("[data-exit-intent-message]").textContent = data.message;
        done.querySelector("button").focus();
      } else {
        showErrors(data.errors || {"__all__": [dialog.getAttribute("data-error-generic")]});
      }
    }).catch(function () {
      showErrors({"__all__": [dialog.getAttribute("data-error-generic")]});
    }).then(function () {
      button.disabled = false;
    });
  });
})();
