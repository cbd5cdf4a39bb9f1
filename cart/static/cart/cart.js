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

  function refresh() {
    if (!root) return Promise.resolve();
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
      var line = form.getAttribute("data-line-form");
      var url = apiBase + "lines/" + line + "/";
      if (submitter && submitter.hasAttribute("data-remove")) {
        handle(api("DELETE", url, null, form));
      } else {
        var value = submitter && submitter.name === "set_quantity" ? submitter.value
          : form.querySelector("input[name=quantity]").value;
        handle(api("PATCH", url, { quantity: Number(value) }, form));
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

  // Shipping choice applies at once.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "shipping_method" && input.form && input.form.matches("[data-shipping-form]")) {
      input.form.submit();
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
