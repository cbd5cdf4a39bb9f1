"""The one-page checkout in a phone's browser, one demo market after another, each ending on the
confirmation page with the order's number and a confirmation mail for that order:

- Brazil, in Portuguese and reais, paid with Pix (QR code and "copia e cola" on the page);
- Saudi Arabia, in Arabic and right to left, cash on delivery (phone required, fee added in
  place by the page's script, "have the amount ready");
- Germany, in German, with the sandbox card: paid, and declined then paid on a second try;
- the United States, in English: sales tax from the state of the address, labelled as tax;
- a double click on Place order, with and without JavaScript: one order.

Every test also checks that no request leaves the live server (no third-party fonts, scripts
or icons), and the market tests weigh the checkout page's first load (cache off): HTML, CSS,
script and images, as served and gzip-compressed; the figures go to
``test-artifacts/checkout-weight-<language>-<country>.json``.

The mail is sent by an RQ job on the "mail" queue (never in the request): the tests run that
queue in this process with a burst ``SimpleWorker`` and read Django's locmem outbox.
"""

from __future__ import annotations

import gzip
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.test_cart_browser import (
    BRL,
    EUR_DE,
    MUG,
    TEE,
    add_variant,
    api_cart,
    no_horizontal_overflow,
    open_shop,
    screenshot,
    text,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Arabic pages write SAR with Western digits: "‏134.00 ر.س.‏" (bidi marks around).
SAR = re.compile(r"\d{1,3}(,\d{3})*\.\d{2}\s?ر\.س\.?")
USD = re.compile(r"\$\d{1,3}(,\d{3})*\.\d{2}")

# The budget for the checkout's first load (HTML, CSS, script, icons), compressed.
WEIGHT_BUDGET = 60 * 1024
PAGE_RESOURCES = {"document", "stylesheet", "script", "image", "font"}


class Problems:
    """Checks that may fail without stopping the test, so that one run reports every wrong
    thing on the way to the confirmation; ``assert_none()`` at the end fails the test."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @contextmanager
    def check(self, what: str):
        try:
            yield
        except AssertionError as error:
            self.found.append(f"{what}: {' '.join(str(error).split())[:400]}")

    def assert_none(self) -> None:
        assert not self.found, "\n".join(["problems found:", *self.found])


# --- network ---------------------------------------------------------------------------------


class Traffic:
    """Every URL the page asks for, from the moment it is attached."""

    def __init__(self, page: Page, origin: str):
        self.origin = origin.rstrip("/")
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def foreign(self) -> list[str]:
        own = f"{self.origin}/"
        return [
            url
            for url in self.urls
            if not (url.startswith(own) or url.startswith(("data:", "blob:", "about:")))
        ]

    def assert_only_the_shop(self) -> None:
        assert self.urls, "no request recorded"
        assert self.foreign() == [], f"requests to other hosts than {self.origin}: {self.foreign()}"


@dataclass
class Weight:
    """A page's first load: one row per response (HTML, CSS, script, images, fonts)."""

    rows: list[dict] = field(default_factory=list)

    @property
    def body_bytes(self) -> int:
        return sum(row["body"] for row in self.rows)

    @property
    def gzip_bytes(self) -> int:
        return sum(row["gzip"] for row in self.rows)

    @property
    def wire_bytes(self) -> int:
        return sum(row["wire"] for row in self.rows)

    def summary(self) -> dict:
        by_kind: dict[str, int] = {}
        for row in self.rows:
            by_kind[row["type"]] = by_kind.get(row["type"], 0) + row["body"]
        return {
            "responses": len(self.rows),
            "body_bytes": self.body_bytes,
            "gzip_bytes": self.gzip_bytes,
            "wire_bytes": self.wire_bytes,
            "body_bytes_by_type": by_kind,
            "rows": self.rows,
        }


def weigh_first_load(page: Page, url: str) -> Weight:
    """Open ``url`` with the browser cache off and weigh every response of the load."""
    responses: list[Response] = []

    def listener(response: Response) -> None:
        responses.append(response)

    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.on("response", listener)
    try:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("response", listener)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        cdp.detach()
    weight = Weight()
    for response in responses:
        kind = response.request.resource_type
        if kind not in PAGE_RESOURCES or not 200 <= response.status < 300:
            continue
        body = response.body()
        sizes = response.request.sizes()
        weight.rows.append(
            {
                "url": urlsplit(response.url).path,
                "type": kind,
                "body": len(body),
                "gzip": len(gzip.compress(body, compresslevel=6)),
                "wire": sizes["responseBodySize"] + sizes["responseHeadersSize"],
            }
        )
    assert any(row["type"] == "document" for row in weight.rows), weight.rows
    return weight


def record_weight(artifacts, name: str, weight: Weight) -> None:
    path = artifacts / f"checkout-weight-{name}.json"
    path.write_text(json.dumps(weight.summary(), indent=2))
    print(
        f"\ncheckout first load ({name}): {weight.body_bytes} bytes of bodies in "
        f"{len(weight.rows)} responses, {weight.gzip_bytes} bytes gzip-compressed, "
        f"{weight.wire_bytes} bytes on the wire"
    )


# --- shop steps ------------------------------------------------------------------------------


def fill_cart(page: Page, url: str, language: str, country: str, *products) -> dict:
    """Add the products from the home page, open the cart; returns the cart page's total (text)
    and the API's view of the cart."""
    open_shop(page, url, language, country)
    for count, product in enumerate(products, start=1):
        add_variant(page, product, expected_count=count)
    page.locator("a.header-cart").click()
    expect(page).to_have_url(f"{url}/{language}/cart/")
    expect(page.locator(".cart-line")).to_have_count(len(products))
    data = api_cart(page)
    total = text(page.locator(".cart-summary .total dd"))
    assert total == " ".join(data["total"]["formatted"].split())
    return {"total": total, "api": data}


def open_checkout(page: Page, url: str, language: str, artifacts, name: str) -> Weight:
    weight = weigh_first_load(page, f"{url}/{language}/checkout/")
    expect(page).to_have_url(f"{url}/{language}/checkout/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("form[data-checkout]")).to_have_count(1)
    record_weight(artifacts, name, weight)
    kinds = {row["type"] for row in weight.rows}
    assert {"document", "stylesheet", "script"} <= kinds, kinds
    assert weight.gzip_bytes < WEIGHT_BUDGET, (
        f"checkout first load: {weight.gzip_bytes} bytes compressed, over {WEIGHT_BUDGET}"
    )
    return weight


def fill(page: Page, values: dict[str, str]) -> None:
    """Fill the checkout's fields by name; selects get the option's value."""
    for name, value in values.items():
        field = page.locator(f"form[data-checkout] [name={name}]")
        expect(field).to_have_count(1)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def choose_payment(page: Page, code: str) -> None:
    radio = page.locator(f"input[name=payment_method][value={code}]")
    expect(radio).to_be_enabled()
    page.locator(f"label.choice:has(input[name=payment_method][value={code}])").click()
    expect(radio).to_be_checked()


def summary_total(page: Page) -> str:
    return text(page.locator(".checkout-summary [data-money=total]"))


def place_order(page: Page) -> None:
    page.locator("button[data-place-order]").click()


def confirmation_url(url: str, language: str) -> re.Pattern:
    return re.compile(re.escape(f"{url}/{language}/checkout/order/") + r"[^/]+/\?t=.+")


def the_order(**filters):
    from checkout.models import Order

    orders = list(Order.objects.filter(**filters).order_by("pk"))
    assert len(orders) == 1, f"expected one order, found {[o.number for o in orders]}"
    return orders[0]


def check_confirmation(page: Page, url: str, language: str, order) -> str:
    """The confirmation page of ``order``; returns the total it shows."""
    expect(page).to_have_url(confirmation_url(url, language))
    assert f"/checkout/order/{order.number}/" in page.url
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".confirmation h1")).to_be_visible()
    expect(page.locator(".order-number strong")).to_have_text(order.number)
    expect(page.locator(".confirmation")).to_contain_text(order.email)
    lines = page.locator(".order-details table.order-lines tr")
    assert lines.count() >= 3
    return text(lines.last.locator("td").last)


def empty_mail_queue() -> None:
    """Jobs left by other tests (their orders are gone) must not run in this one."""
    import django_rq

    django_rq.get_queue("mail").empty()


def confirmation_mail(order):
    """Run the mail queue here and now; the one confirmation mail sent for ``order``."""
    import django_rq
    import rq
    from django.core import mail

    queue = django_rq.get_queue("mail")
    assert queue.count >= 1, "no job queued on the mail queue"
    rq.SimpleWorker([queue], connection=django_rq.get_connection("mail")).work(burst=True)
    mails = [message for message in mail.outbox if order.number in message.subject]
    assert len(mails) == 1, [message.subject for message in mail.outbox]
    message = mails[0]
    assert message.to == [order.email]
    assert order.number in message.body
    html = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert html and order.number in html[0]
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None
    return message


def money_plain(value: str) -> str:
    return " ".join(value.split())


def summary_total_of(order) -> str:
    """The order's total as the English pages write dollars."""
    return f"${order.total:,.2f}"


# --- tests -----------------------------------------------------------------------------------

BR_ADDRESS = {
    "email": "mariana.souza@example.com",
    "first_name": "Mariana",
    "last_name": "Souza",
    "street_address": "Avenida Paulista, 1578",
    "city_area": "Bela Vista",
    "city": "São Paulo",
    "country_area": "SP",
    "postal_code": "01310-200",
    "phone": "(11) 98765-4321",
}


def test_brazilian_shopper_pays_with_pix_in_reais(page: Page, demo, artifacts):
    from checkout.models import Order, PaymentStatus

    empty_mail_queue()
    url = demo.url
    traffic = Traffic(page, url)
    cart = fill_cart(page, url, "pt-br", "BR", TEE, MUG)
    assert cart["api"]["currency"] == "BRL"

    open_checkout(page, url, "pt-br", artifacts, "pt-br-BR")
    # The summary: the cart's numbers, in reais written the Brazilian way.
    summary = page.locator(".checkout-summary")
    expect(summary.locator(".summary-lines li")).to_have_count(2)
    for cell in summary.locator("[data-money]").all():
        if cell.is_visible() and cell.get_attribute("data-money") != "shipping_price":
            assert BRL.search(text(cell)), f"{cell.get_attribute('data-money')}: {text(cell)!r}"
    for price in summary.locator(".summary-lines li > span:last-child").all():
        assert BRL.search(text(price)), text(price)
    for price in page.locator(".choice-price").all():
        if text(price):
            assert BRL.search(text(price)), text(price)
    assert summary_total(page) == cart["total"]
    expect(page.locator("button[data-place-order]")).to_contain_text(cart["total"])
    screenshot(page, artifacts / "checkout-pt-br-BR.png")
    no_horizontal_overflow(page, "checkout page")

    fill(page, BR_ADDRESS)
    choose_payment(page, "pix")
    assert summary_total(page) == cart["total"]  # Pix has no fee
    place_order(page)

    expect(page).to_have_url(confirmation_url(url, "pt-br"))
    order = the_order()
    assert order.payment_method == "pix"
    assert order.currency == "BRL"
    assert order.language == "pt-br"
    assert order.total == Decimal(cart["api"]["total"]["amount"])
    shown_total = check_confirmation(page, url, "pt-br", order)
    assert money_plain(shown_total) == cart["total"], "the total changed between cart and order"
    # Pix: the QR code drawn inline, and the "copia e cola" code beside it.
    qr = page.locator(".next-steps .pix-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 120 and box["height"] >= 120, box
    payload = page.locator("#pix-code").input_value()
    payment = order.payments.get()
    assert payment.status == PaymentStatus.PENDING
    assert payload == payment.instructions["payload"]
    assert payload.startswith("000201") and "BR.GOV.BCB.PIX" in payload.upper()
    assert f"54{len(f'{order.total:.2f}'):02d}{order.total:.2f}" in payload  # amount field
    assert "5303986" in payload  # currency: BRL
    assert re.search(r"6304[0-9A-F]{4}$", payload), payload  # CRC16 last
    screenshot(page, artifacts / "confirmation-pt-br-BR.png")
    no_horizontal_overflow(page, "confirmation page")

    message = confirmation_mail(order)
    assert payload in message.body
    assert cart["total"] in money_plain(message.body)
    assert Order.objects.count() == 1
    traffic.assert_only_the_shop()


SA_ADDRESS = {
    "email": "noura@example.com",
    "first_name": "نورة",
    "last_name": "العتيبي",
    "street_address": "طريق الملك فهد 2341",
    "city": "Riyadh",
    "postal_code": "12271",
}


def test_saudi_shopper_pays_cash_on_delivery_in_arabic(page: Page, demo, artifacts):
    from checkout.models import Order

    empty_mail_queue()
    problems = Problems()
    url = demo.url
    traffic = Traffic(page, url)
    cart = fill_cart(page, url, "ar", "SA", TEE, MUG)
    assert cart["api"]["currency"] == "SAR"

    open_checkout(page, url, "ar", artifacts, "ar-SA")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    no_horizontal_overflow(page, "checkout page")
    assert summary_total(page) == cart["total"]
    assert SAR.search(summary_total(page)), summary_total(page)

    # The phone is required (couriers call before delivering cash on delivery).
    phone = page.locator("input[name=phone]")
    expect(phone).to_have_attribute("required", "")
    expect(page.locator("[data-field=phone] .optional")).to_have_count(0)

    # Cash on delivery: its fee comes into the totals in place, without a page load.
    fee_row = page.locator(".checkout-summary .payment-fee")
    expect(fee_row).to_be_hidden()
    page.evaluate("window.__samePage = true")
    before = summary_total(page)
    choose_payment(page, "cod")
    expect(fee_row).to_be_visible()
    fee = text(fee_row.locator("dd"))
    assert SAR.search(fee) and "15.00" in fee, fee
    expect(page.locator(".checkout-summary [data-money=total]")).not_to_have_text(before)
    after = summary_total(page)
    assert SAR.search(after), after
    expected = Decimal(cart["api"]["total"]["amount"]) + Decimal("15.00")
    assert f"{expected:.2f}" in after, (before, after)
    assert page.locator("input[data-expected-total]").input_value() == f"{expected:.2f}"
    with problems.check("the Place order button still shows the old total"):
        expect(page.locator("button[data-place-order]")).to_contain_text(
            f"{expected:.2f}", timeout=2000
        )
    assert page.evaluate("window.__samePage === true"), "the page was reloaded"
    screenshot(page, artifacts / "checkout-ar-SA.png")
    no_horizontal_overflow(page, "checkout page with cash on delivery")

    # Without a phone the order is refused, on the phone field.
    fill(page, SA_ADDRESS)
    place_order(page)
    expect(page.locator("[data-field=phone] .error")).to_be_visible()
    assert Order.objects.count() == 0
    expect(page.locator("input[name=payment_method][value=cod]")).to_be_checked()
    expect(page.locator("form[data-checkout] input[name=email]")).to_have_value(SA_ADDRESS["email"])
    expect(fee_row).to_be_visible()
    no_horizontal_overflow(page, "checkout page with an error")

    page.locator("input[name=phone]").fill("050 123 4567")
    place_order(page)
    expect(page).to_have_url(confirmation_url(url, "ar"))
    order = the_order()
    assert order.payment_method == "cod"
    assert order.phone == "+966501234567"
    assert order.payment_fee == Decimal("15.00")
    assert order.total == expected
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shown_total = check_confirmation(page, url, "ar", order)
    assert money_plain(shown_total) == after
    # What to do next: have the amount ready for the courier.
    next_steps = page.locator(".next-steps")
    expect(next_steps.locator("h2")).to_be_visible()
    assert after in money_plain(text(next_steps)), text(next_steps)
    screenshot(page, artifacts / "confirmation-ar-SA.png")
    no_horizontal_overflow(page, "confirmation page")

    message = confirmation_mail(order)
    assert f"{expected:.2f}" in message.body
    traffic.assert_only_the_shop()
    problems.assert_none()


DE_ADDRESS = {
    "email": "katrin.mueller@example.com",
    "first_name": "Katrin",
    "last_name": "Müller",
    "street_address": "Rosenthaler Straße 40",
    "postal_code": "10178",
    "city": "Berlin",
}


def pay_at_the_sandbox(page: Page, url: str, language: str, outcome: str, amount: str) -> None:
    sandbox_url = re.escape(f"{url}/{language}/checkout/sandbox/") + r"\?t="
    expect(page).to_have_url(re.compile(sandbox_url))
    sandbox = page.locator("article.sandbox")
    expect(sandbox.locator("h1")).to_be_visible()
    assert amount in money_plain(text(sandbox)), text(sandbox)
    no_horizontal_overflow(page, "sandbox payment page")
    sandbox.locator(f"button[name=outcome][value={outcome}]").click()


def test_german_shopper_pays_with_the_sandbox_card(page: Page, demo, artifacts):
    from checkout.models import OrderStatus, PaymentStatus

    empty_mail_queue()
    url = demo.url
    traffic = Traffic(page, url)
    cart = fill_cart(page, url, "de", "DE", TEE, MUG)
    open_checkout(page, url, "de", artifacts, "de-DE")
    assert summary_total(page) == cart["total"]
    assert EUR_DE.search(cart["total"])
    # Opt-in market: the marketing consent starts unticked.
    expect(page.locator("form[data-checkout] input[name=marketing_consent]")).not_to_be_checked()
    screenshot(page, artifacts / "checkout-de-DE.png")
    no_horizontal_overflow(page, "checkout page")

    fill(page, DE_ADDRESS)
    choose_payment(page, "card")
    place_order(page)
    pay_at_the_sandbox(page, url, "de", "paid", cart["total"])

    expect(page).to_have_url(confirmation_url(url, "de"))
    order = the_order()
    assert order.status == OrderStatus.PAID
    assert order.payments.get().status == PaymentStatus.PAID
    assert order.total == Decimal(cart["api"]["total"]["amount"])
    assert order.customer.marketing_consent is False
    shown_total = check_confirmation(page, url, "de", order)
    assert money_plain(shown_total) == cart["total"]
    screenshot(page, artifacts / "confirmation-de-DE.png")
    no_horizontal_overflow(page, "confirmation page")
    confirmation_mail(order)
    # The cart is gone: a new, empty one.
    expect(page.locator("[data-cart-count]")).to_have_text("0")
    traffic.assert_only_the_shop()


def test_german_shopper_whose_card_is_declined_keeps_the_cart_and_pays_again(
    page: Page, demo, artifacts
):
    from checkout.models import Order, OrderStatus, PaymentStatus
    from shop.models import Variant

    empty_mail_queue()
    url = demo.url
    traffic = Traffic(page, url)
    cart = fill_cart(page, url, "de", "DE", TEE)
    stock = Variant.objects.get(sku=TEE[1]).stock_quantity
    page.goto(f"{url}/de/checkout/")
    fill(page, DE_ADDRESS)
    choose_payment(page, "card")
    place_order(page)
    pay_at_the_sandbox(page, url, "de", "failed", cart["total"])

    # Back on the checkout: a clear message, the cart as it was, the stock given back.
    expect(page).to_have_url(f"{url}/de/checkout/")
    error = page.locator(".messages .message.error")
    expect(error).to_have_count(1)
    expect(error).not_to_be_empty()
    expect(page.locator(".checkout-summary .summary-lines li")).to_have_count(1)
    assert summary_total(page) == cart["total"]
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    declined = the_order()
    assert declined.status == OrderStatus.CANCELLED
    assert declined.payments.get().status == PaymentStatus.FAILED
    assert Variant.objects.get(sku=TEE[1]).stock_quantity == stock
    screenshot(page, artifacts / "checkout-de-DE-declined.png")
    no_horizontal_overflow(page, "checkout page after a declined payment")
    lines = api_cart(page)["lines"]
    assert [line["sku"] for line in lines] == [TEE[1]]

    # Second try, same cart: paid this time. One paid order, holding the stock it sold, and
    # the cart converted (a new, empty one in the header).
    fill(page, DE_ADDRESS)
    choose_payment(page, "card")
    place_order(page)
    pay_at_the_sandbox(page, url, "de", "paid", cart["total"])
    expect(page).to_have_url(confirmation_url(url, "de"))
    paid = list(Order.objects.filter(status=OrderStatus.PAID))
    assert len(paid) == 1, list(Order.objects.values_list("number", "status"))
    order = paid[0]
    check_confirmation(page, url, "de", order)
    screenshot(page, artifacts / "confirmation-de-DE-after-decline.png")
    confirmation_mail(order)
    traffic.assert_only_the_shop()
    problems = Problems()
    with problems.check("the paid order is the cancelled one paid again"):
        assert order.pk != declined.pk, f"{order.number} was cancelled, then paid"
    with problems.check("stock not taken for the paid order"):
        assert Variant.objects.get(sku=TEE[1]).stock_quantity == stock - 1
    with problems.check("cart not converted after the paid order"):
        expect(page.locator("[data-cart-count]")).to_have_text("0", timeout=2000)
    with problems.check("the cart still holds the paid line"):
        assert api_cart(page)["lines"] == []
    with problems.check("a confirmation mail went out for the cancelled order"):
        from django.core import mail

        if declined.pk != order.pk:
            assert [m.subject for m in mail.outbox if declined.number in m.subject] == []
    problems.assert_none()


US_ADDRESS = {
    "email": "jessica.miller@example.com",
    "first_name": "Jessica",
    "last_name": "Miller",
    "street_address": "1 Market Street",
    "city": "San Francisco",
    "country_area": "CA",
    "postal_code": "94105",
    "phone": "(415) 555-0132",
}
CA_SALES_TAX = Decimal("7.25")


def test_american_shopper_sees_sales_tax_added_for_the_state(page: Page, demo, artifacts):
    """US prices are before tax; the rate depends on the state (California: 7.25 %). The cart
    says tax comes from the address; once the address has a state, the checkout adds the tax
    as a line labelled "Tax", and the order charges it."""
    from checkout.models import Order

    empty_mail_queue()
    problems = Problems()
    url = demo.url
    traffic = Traffic(page, url)
    cart = fill_cart(page, url, "en", "US", TEE, MUG)
    assert cart["api"]["currency"] == "USD"
    tax_row = page.locator(".cart-summary .tax")
    expect(tax_row.locator("dt")).to_have_text("Tax")
    expect(tax_row.locator("dd")).to_have_text("Calculated from your address")
    expect(page.locator(".cart-summary .explain")).to_contain_text("added at checkout")

    open_checkout(page, url, "en", artifacts, "en-US")
    assert summary_total(page) == cart["total"]
    assert USD.search(cart["total"])
    screenshot(page, artifacts / "checkout-en-US.png")
    no_horizontal_overflow(page, "checkout page")
    expect(page.locator("select[name=country_area]")).to_have_attribute("required", "")
    expect(page.locator("label[for=id_country_area]")).to_have_text("State")
    expect(page.locator("label[for=id_postal_code]")).to_have_text("ZIP code")

    fill(page, US_ADDRESS)
    page.locator("input[name=postal_code]").blur()
    goods = Decimal(cart["api"]["subtotal"]["amount"]) - sum(
        (Decimal(d["amount"]["amount"]) for d in cart["api"]["discounts"]), Decimal(0)
    )
    tax = (goods * CA_SALES_TAX / 100).quantize(Decimal("0.01"))
    shipping = Decimal(cart["api"]["shipping"]["price"]["amount"])
    total = goods + shipping + tax  # duties (DAP) are paid to the carrier, not in the total
    # With the state chosen, the summary adds the tax, labelled as such, and the new total.
    summary = page.locator(".checkout-summary")
    with problems.check("checkout summary: no California sales tax once the state is chosen"):
        expect(summary.locator(".tax dd")).to_have_text(f"${tax:.2f}", timeout=3000)
        expect(summary.locator(".tax dt")).to_have_text("Tax")
    with problems.check("checkout summary: total without the sales tax"):
        expect(summary.locator("[data-money=total]")).to_have_text(f"${total:,.2f}", timeout=1000)
    with problems.check("the Place order button still shows the total without tax"):
        expect(page.locator("button[data-place-order]")).to_contain_text(
            f"${total:,.2f}", timeout=1000
        )
    screenshot(page, artifacts / "checkout-en-US-filled.png")

    choose_payment(page, "card")
    place_order(page)
    if page.url.endswith("/en/checkout/"):  # "the total has changed": the shopper confirms
        expect(page.locator(".messages .message")).to_have_count(1)
        place_order(page)
    pay_at_the_sandbox(page, url, "en", "paid", summary_total_of(Order.objects.get()))
    expect(page).to_have_url(confirmation_url(url, "en"))
    order = the_order()
    assert order.country == "US"
    assert order.shipping_address["country_area"] == "CA"
    assert order.shipping_address["postal_code"] == "94105"
    assert not order.prices_include_tax
    shown_total = check_confirmation(page, url, "en", order)
    screenshot(page, artifacts / "confirmation-en-US.png")
    no_horizontal_overflow(page, "confirmation page")
    confirmation_mail(order)
    traffic.assert_only_the_shop()
    assert Order.objects.count() == 1

    # The order charges California's sales tax, on a line labelled "Tax".
    with problems.check("order tax"):
        assert order.tax == tax, f"{order.number} charges {order.tax} tax, not {tax} (CA 7.25 %)"
    with problems.check("order total"):
        assert order.total == total, f"{order.total}, not {total} (goods + shipping + tax)"
    tax_line = page.locator(".order-details table.order-lines tr", has_text="Tax")
    with problems.check("confirmation tax line"):
        expect(tax_line).to_have_count(1)
        expect(tax_line.locator("td").last).to_have_text(f"${tax:.2f}", timeout=1000)
    with problems.check("confirmation total"):
        assert money_plain(shown_total) == f"${total:,.2f}", shown_total
    problems.assert_none()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_double_click_on_place_order_places_one_order(new_context, demo, artifacts, javascript):
    """Two quick clicks on Place order: one order, one payment. Without JavaScript the page's
    guard is gone, so the form's POST is also sent again as a retry would (same cookies, same
    fields): still one order."""
    from checkout.models import Order, Payment

    empty_mail_queue()
    context = new_context(java_script_enabled=javascript)
    page = context.new_page()
    url = demo.url
    traffic = Traffic(page, url)
    checkout_url = f"{url}/pt-br/checkout/"
    posts: list[str | None] = []

    def on_request(request) -> None:
        if request.method == "POST" and request.url == checkout_url:
            posts.append(request.post_data)

    page.on("request", on_request)
    if javascript:
        fill_cart(page, url, "pt-br", "BR", TEE)
    else:  # the product page's plain form
        page.goto(f"{url}/pt-br/p/{TEE[0]}/?country=BR")
        page.locator(f"label.variant-option:has(input[name=sku][value='{TEE[1]}'])").click()
        with page.expect_navigation():
            page.locator("form.add-to-cart button[type=submit]").click()
        expect(page.locator("[data-cart-count]")).to_have_text("1")
    page.goto(checkout_url)
    fill(page, BR_ADDRESS)
    page.locator("label.choice:has(input[name=payment_method][value=pix])").click()
    page.locator("button[data-place-order]").dblclick()
    expect(page).to_have_url(confirmation_url(url, "pt-br"))
    page.wait_for_load_state("networkidle")
    assert posts, "no order was posted"
    sent = len(posts)
    assert Order.objects.count() == 1, list(Order.objects.values_list("number", flat=True))
    assert Payment.objects.count() == 1
    order = Order.objects.get()
    if not javascript:  # the same POST again, twice, as a retry or a second tap would send it
        for _ in range(2):
            retry = page.request.post(
                checkout_url,
                data=posts[0],
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "Referer": checkout_url},
            )  # fmt: skip
            assert retry.status < 500, retry.status
        assert Order.objects.count() == 1, list(Order.objects.values_list("number", flat=True))
        assert Payment.objects.count() == 1
    page.reload()
    check_confirmation(page, url, "pt-br", order)
    name = "js" if javascript else "no-js"
    screenshot(page, artifacts / f"confirmation-double-click-{name}.png")
    confirmation_mail(order)
    print(f"\ndouble click ({name}): {sent} POST(s) sent by the browser")
    traffic.assert_only_the_shop()
