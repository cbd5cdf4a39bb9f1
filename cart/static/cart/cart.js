// The cart page's own script: sends changes through the JSON API, then swaps in the cart
// rendered by the server, so the page never shows totals the server did not compute.
// Everything here also works without it (plain form posts).
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body, form) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang || "en",
        "X-CSRFToken": csrfToken(form)
      },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error("request failed");
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function firstError(data) {
    if (!data) return "";
    for (var key in data) {
      var value = data[key];
      if (Array.isArray(value) && value.length) return String(value[0]);
      if (typeof value === "string") return value;
    }
    return "";
  }

  function setCount(count) {
    document.querySelectorAll("[data-cart-count]").forEach(function (el) {
      el.textContent = String(count);
    });
  }

  var root = document.querySelector("[data-cart]");
  var apiBase = root ? root.getAttribute("data-api") : "/api/v1/cart/";

  // A quantity the shopper is typing (not yet sent) is never replaced under their fingers: the
  // refresh waits until they leave the field (which sends it).
  var deferred = false;
  function typing() {
    var el = document.activeElement;
    if (!el || el.name !== "quantity" || !el.form || !el.form.matches("[data-line-form]")) return false;
    var value = el.value.trim();
    return value !== el.getAttribute("data-quantity") && value !== el.form.getAttribute("data-sending");
  }

  function refresh() {
    if (!root) return Promise.resolve();
    if (typing()) { deferred = true; return Promise.resolve(); }
    deferred = false;
    return fetch(root.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) { root.innerHTML = html; startCountdowns(); });
  }

  function status(message) {
    var live = document.querySelector("[data-cart-status]");
    if (live) live.textContent = message;
  }

  function handle(promise, place) {
    return promise
      .then(function (data) { setCount(data.item_count || 0); return refresh(); })
      .catch(function (error) {
        var message = firstError(error.data) || (error.message || "");
        var near = place && document.querySelector(place);
        if (near) { near.textContent = message; } else { status(message); }
      });
  }

  function lineUrl(form) {
    return apiBase + "lines/" + form.getAttribute("data-line-form") + "/";
  }

  // The typed quantity of a line: 0 removes it; anything else goes to the server as typed, and
  // a refusal (not a number, more than in stock, too many) shows the shop's message next to the
  // field. The form is ``novalidate``: the browser's own bubble would stop it before the shop.
  function sendTyped(form) {
    var input = form.querySelector("input[name=quantity]");
    var value = input.value.trim();
    if (form.getAttribute("data-sending") === value) return;  // Enter, then the change event
    form.setAttribute("data-sending", value);
    var error = form.querySelector("[data-quantity-error]");
    var request = value === "0" ? api("DELETE", lineUrl(form), null, form)
      : api("PATCH", lineUrl(form), { quantity: /^\d{1,9}$/.test(value) ? Number(value) : value }, form);
    return request  // the count changes once the new lines are in: the page agrees with itself
      .then(function (data) { return refresh().then(function () { setCount(data.item_count || 0); }); })
      .catch(function (failure) {
        form.removeAttribute("data-sending");
        var message = firstError(failure.data) || failure.message || "";
        if (error) error.textContent = message; else status(message);
        input.setAttribute("aria-invalid", "true");
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (form.matches("[data-api-add]")) {
      event.preventDefault();
      var sku = form.querySelector("[name=sku]:checked, input[type=hidden][name=sku]");
      var qty = form.querySelector("[name=quantity]");
      api("POST", apiBase + "lines/", {
        sku: sku ? sku.value : "", quantity: parseInt(qty ? qty.value : "1", 10) || qty.value
      }, form).then(function (data) {
        setCount(data.item_count || 0);
        if (root) { refresh(); return; }
        var note = form.querySelector("[data-add-status]");
        if (note) note.hidden = false;
      }).catch(function (error) {
        var message = firstError(error.data);
        var note = form.querySelector("[data-add-error]");
        if (note) { note.textContent = message; note.hidden = false; } else { status(message); }
      });
      return;
    }
    if (form.matches("[data-line-form]")) {
      event.preventDefault();
      if (submitter && submitter.hasAttribute("data-remove")) {
        handle(api("DELETE", lineUrl(form), null, form));
      } else if (submitter && submitter.name === "set_quantity") {
        handle(api("PATCH", lineUrl(form), { quantity: Number(submitter.value) }, form));
      } else {
        sendTyped(form);  // Enter in the field (the hidden default button) or "Update"
      }
      return;
    }
    if (form.matches("[data-voucher-form]")) {
      event.preventDefault();
      if (submitter && submitter.name === "remove") {
        handle(api("DELETE", apiBase + "voucher/", null, form));
      } else {
        handle(api("POST", apiBase + "voucher/", { code: form.querySelector("[name=code]").value }, form),
          "[data-voucher-status]");
      }
    }
  });

  // Shipping choice applies at once; so does a typed quantity when the field is left.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "quantity" && input.form && input.form.matches("[data-line-form]")) {
      if (input.value.trim() !== input.getAttribute("data-quantity")) sendTyped(input.form);
      return;
    }
    if (input.name === "shipping_method" && input.form && input.form.matches("[data-shipping-form]")) {
      input.form.submit();
    }
  });

  document.addEventListener("focusout", function (event) {
    if (deferred && event.target.name === "quantity") {
      setTimeout(function () { if (deferred) refresh(); }, 0);
    }
  });

  // Promotion countdown: "Offer ends in 2 d 03:12:45".
  var timers = [];
  function startCountdowns() {
    timers.forEach(clearInterval);
    timers = [];
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var end = Date.parse(el.getAttribute("datetime"));
      function tick() {
        var left = Math.max(0, Math.floor((end - Date.now()) / 1000));
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
        var m = Math.floor(left % 3600 / 60), s = left % 60;
        function two(n) { return (n < 10 ? "0" : "") + n; }
        el.textContent = (d ? d + " d " : "") + two(h) + ":" + two(m) + ":" + two(s);
      }
      tick();
      timers.push(setInterval(tick, 1000));
    });
  }
  startCountdowns();
})();
