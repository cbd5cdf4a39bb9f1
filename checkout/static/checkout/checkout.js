// One-page checkout enhancements; the page works without them (form posts).
// - the e-mail is saved on the cart as soon as it is valid (recoverable checkout);
// - changing shipping or payment re-prices through the JSON API and updates totals in place;
// - changing the country reloads the page in that country's currency and address format;
// - Place order cannot be sent twice.
(function () {
  "use strict";
  var form = document.querySelector("[data-checkout]");
  if (!form) return;  // not the checkout page

  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang || "en",
        "X-CSRFToken": csrf()
      },
      body: JSON.stringify(body)
    });
  }

  var email = form.querySelector("input[name=email]");
  var consent = form.querySelector("input[name=marketing_consent]");
  var savedEmail = "";
  function saveContact() {
    if (!email || !email.value || !email.checkValidity() || email.value === savedEmail) return;
    savedEmail = email.value;
    post(form.getAttribute("data-contact"), {
      email: email.value,
      marketing_consent: consent ? consent.checked : null
    });
  }
  if (email) {
    email.setAttribute("type", "email");
    email.addEventListener("change", saveContact);
    email.addEventListener("blur", saveContact);
  }

  function checked(name) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : null;
  }

  function setMoney(field, money) {
    var el = form.querySelector("[data-money=" + field + "]");
    if (el && money) el.textContent = money.formatted;
  }

  function recalculate() {
    var shipping = checked("shipping_method");
    var region = form.querySelector("[name=country_area]");
    var body = {
      shipping_method: shipping ? Number(shipping) : null,
      payment_method: checked("payment_method") || ""
    };
    if (region) body.region = region.value;
    post(form.getAttribute("data-quote"), body).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (pricing) {
      if (!pricing) return;
      ["subtotal", "duties", "payment_fee", "total"].forEach(function (field) {
        setMoney(field, pricing[field]);
      });
      var tax = form.querySelector("[data-money=tax]");
      if (pricing.tax_known) setMoney("tax", pricing.tax);
      else if (tax && tax.hasAttribute("data-unknown-text")) tax.textContent = tax.getAttribute("data-unknown-text");
      // "Sales tax depends on your state" only while the state is not known.
      document.querySelectorAll("[data-tax-note]").forEach(function (note) {
        note.hidden = (note.getAttribute("data-tax-note") === "known") !== Boolean(pricing.tax_known);
      });
      var shippingCell = form.querySelector("[data-money=shipping_price]");
      if (shippingCell && pricing.shipping) {
        shippingCell.textContent = pricing.shipping.is_free
          ? shippingCell.getAttribute("data-free-text") : pricing.shipping.price.formatted;
      }
      (pricing.payment_options || []).forEach(function (option) {
        var plans = form.querySelector("[data-instalments=" + option.code + "]");
        if (!plans) return;
        (option.instalments || []).forEach(function (plan) {
          var el = plans.querySelector("[data-instalment='" + plan.count + "']");
          if (!el) return;
          el.textContent = el.textContent.replace(el.getAttribute("data-amount"), plan.amount.formatted);
          el.setAttribute("data-amount", plan.amount.formatted);
        });
      });
      var fee = form.querySelector(".payment-fee");
      if (fee) fee.hidden = !Number(pricing.payment_fee.amount);
      form.querySelector("[data-expected-total]").value = pricing.total.amount;
      setMoney("button_total", pricing.total);
    });
  }
  form.querySelectorAll("[data-recalculate], select[name=country_area]").forEach(function (input) {
    input.addEventListener("change", recalculate);
  });

  var country = document.querySelector("[data-country-switch]");
  if (country) {
    country.addEventListener("change", function () { country.form.submit(); });
  }

  var placing = false;
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || submitter.name !== "place_order") return;
    if (placing) { event.preventDefault(); return; }
    placing = true;
    submitter.setAttribute("aria-busy", "true");
  });
})();

// Confirmation page: copy the Pix "copia e cola" code in one tap.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.value);
    });
  });
})();
