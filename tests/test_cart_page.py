"""The cart page ``/<lang>/cart/``: amounts in the shopper's format, the landed summary, and forms
that work without JavaScript (each posts, redirects back, and shows what happened)."""

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from cart.models import Cart, CartLine
from tests import factories

NBSP = "\xa0"


@pytest.fixture
def shop(cart_world):
    w = cart_world
    w.eu, w.br, w.us, w.jp, w.shirt_m, w.shirt_l, w.cookbook  # noqa: B018  (creates them)
    return w


def add(client, sku, quantity=1, language="en", country="DE", **extra):
    return client.post(f"/{language}/cart/add/?country={country}",
                       {"sku": sku, "quantity": str(quantity), **extra}, follow=True)  # fmt: skip


def lines(client) -> list[tuple[str, int]]:
    cart = Cart.objects.get(token=client.session["cart_token"])
    return sorted(CartLine.objects.filter(cart=cart).values_list("variant__sku", "quantity"))


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- a tiny browser: submit a form of the page as a browser would -------------------------------


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self._open = {"attrs": attrs, "controls": []}
            self.forms.append(self._open)
        elif tag in ("input", "button") and self._open is not None:
            self._open["controls"].append((tag, attrs))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def submit(client, html: str, form: dict, button: dict, fill: dict | None = None):
    """Submit the first form whose attributes include ``form`` by clicking the button whose
    attributes include ``button``: the form's fields in document order, the clicked button only
    (as browsers build the form data set), ``fill`` typed into inputs by name."""
    parser = _Forms()
    parser.feed(html)
    chosen = next(f for f in parser.forms if form.items() <= f["attrs"].items())
    fill = dict(fill or {})
    data: dict[str, list[str]] = {}
    for tag, attrs in chosen["controls"]:
        name = attrs.get("name")
        kind = attrs.get("type", "submit" if tag == "button" else "text")
        if not name:
            continue
        if kind == "submit":
            if button.items() <= attrs.items():
                data.setdefault(name, []).append(attrs.get("value", ""))
            continue
        if kind in ("radio", "checkbox") and "checked" not in attrs and name not in fill:
            continue
        if kind == "radio" and name in fill and attrs.get("value") != str(fill[name]):
            continue
        value = str(fill.pop(name)) if name in fill and kind != "radio" else attrs.get("value", "")
        data.setdefault(name, []).append(value)
    return client.post(chosen["attrs"]["action"], data, follow=True)


# --- rendering ----------------------------------------------------------------------------------


def test_empty_cart_page_shows_shipping_payment_and_trust_for_the_country(shop, client):
    response = client.get("/en/cart/?country=DE")

    assert response.status_code == 200
    html = response.text
    assert "Your cart is empty." in html
    assert "Shipping to Germany" in html
    assert 'data-method="klarna"' in html and "30-day free returns" in html
    assert "line-form" not in html and not response.context["pricing"].can_check_out


def test_brazilian_cart_page_shows_reais_with_a_decimal_comma(shop, client):
    add(client, "SHIRT-M", 2, language="pt-br", country="BR")

    html = client.get("/pt-br/cart/").text

    assert f"R${NBSP}72,99" in html  # unit price
    assert f"R${NBSP}145,98" in html  # line total and subtotal
    assert f'data-money="total">R${NBSP}165,88<' in html  # 145.98 + PAC 19.90
    assert f"R${NBSP}153,02" in html  # missing for free shipping from R$ 299
    assert 'aria-valuenow="49"' in html
    assert 'data-method="pix"' in html and "Compra segura" in html
    assert '<html lang="pt-br"' in html


def test_german_cart_page_writes_euros_after_the_amount(shop, client):
    add(client, "SHIRT-M", 2, language="de", country="DE")
    add(client, "BOOK", 1, language="de", country="DE")

    html = client.get("/de/cart/").text

    assert f"11,90{NBSP}€" in html and f"21,40{NBSP}€" in html
    assert f'data-money="total">50,10{NBSP}€<' in html
    assert f'data-money="tax">5,98{NBSP}€<' in html  # the VAT the prices include
    assert f"4,80{NBSP}€" in html  # missing for free shipping


def test_japanese_cart_page_shows_whole_yen(shop, client):
    add(client, "SHIRT-M", 2, language="ja", country="JP")

    html = client.get("/ja/cart/").text

    assert "￥1,981" in html and "￥3,962" in html
    assert "￥4,762" in html  # 3,962 + 800 shipping


def test_us_cart_page_says_tax_comes_with_the_address(shop, client):
    add(client, "SHIRT-M", 2, country="US")

    html = client.get("/en/cart/").text

    assert "$11.59" in html and "$23.18" in html
    assert "$29.17" in html  # 23.18 + 5.99, no tax yet
    assert (  # no amount
        'data-money="tax" data-when-known data-unknown-text="Calculated from your address">'
        "Calculated from your address<"
    ) in html
    assert '<span data-tax-note="unknown">Sales tax depends on your state' in html
    assert "Calculated from your address" in html


def test_cart_page_shows_the_delivery_window_and_the_shipping_choice(shop, client):
    add(client, "SHIRT-M")

    html = client.get("/en/cart/").text

    assert "Shipping to Germany" in html
    assert 'name="shipping_method"' in html and "Express" in html
    assert "Arrives" in html


def test_cart_page_shows_stock_and_price_change_notices(shop, client):
    add(client, "SHIRT-L", 2)
    add(client, "SHIRT-M", 1)
    CartLine.objects.filter(variant__sku="SHIRT-M").update(unit_price_seen=Decimal("10.90"))

    html = client.get("/en/cart/").text

    assert "Only 3 left" in html  # low stock
    assert f"was 10,90{NBSP}€, now 11,90{NBSP}€" in html


def test_cart_page_counts_down_to_the_end_of_a_promotion(shop, client):
    factories.PromotionFactory(name="Autumn sale", percentage=Decimal("10"),
                               ends_at=timezone.now() + timedelta(hours=5))  # fmt: skip
    add(client, "SHIRT-M", 2)

    html = client.get("/en/cart/").text

    assert "Autumn sale" in html and "data-countdown" in html
    assert f"−2,38{NBSP}€" in html


def test_the_fragment_is_the_cart_without_the_page_around_it(shop, client):
    add(client, "SHIRT-M")

    response = client.get("/en/cart/?fragment=1")

    assert "<html" not in response.text and "cart-summary" in response.text


def test_other_pages_show_the_item_count_in_the_header(shop, client):
    add(client, "SHIRT-M", 2)
    add(client, "BOOK", 1)

    home = client.get("/en/")

    assert home.status_code == 200
    assert "<span class=\"cart-count\" data-cart-count>3</span>" in home.text
    assert "Cart, 3 items" in home.text


def test_header_shows_zero_without_a_cart(shop, client):
    assert "data-cart-count>0</span>" in client.get("/en/").text


# --- forms without JavaScript -------------------------------------------------------------------


def test_adding_by_form_returns_to_the_cart_with_a_message(shop, client):
    response = add(client, "SHIRT-M", 2)

    assert response.redirect_chain[-1][0] == "/en/cart/"
    assert messages_of(response) == ["Added to your cart."]
    assert lines(client) == [("SHIRT-M", 2)]
    assert "Linen Shirt" in response.text


def test_adding_an_unknown_sku_by_form_shows_the_error(shop, client):
    response = add(client, "NOPE")

    assert response.status_code == 200
    assert messages_of(response) == ["We could not find the product “NOPE”."]
    assert "Your cart is empty." in response.text


def test_adding_returns_to_the_page_it_came_from(shop, client):
    response = add(client, "SHIRT-M", next="/en/p/linen-shirt/")

    assert response.redirect_chain[0][0] == "/en/p/linen-shirt/"


def test_adding_never_redirects_to_another_site(shop, client):
    response = client.post("/en/cart/add/", {"sku": "SHIRT-M", "next": "https://evil.example/"})

    assert response.status_code == 302 and response.url == "/en/cart/"


def test_cart_forms_only_accept_posts(shop, client):
    assert client.get("/en/cart/add/?sku=SHIRT-M").status_code == 405
    assert client.get("/en/cart/voucher/?code=X").status_code == 405


def test_the_plus_button_adds_one(shop, client):
    page = add(client, "SHIRT-M", 2)

    submit(client, page.text, {"class": "line-form"}, {"data-step": "1"})

    assert lines(client) == [("SHIRT-M", 3)]


def test_the_minus_button_takes_one_away(shop, client):
    page = add(client, "SHIRT-M", 2)

    submit(client, page.text, {"class": "line-form"}, {"data-step": "-1"})

    assert lines(client) == [("SHIRT-M", 1)]


def test_typing_a_quantity_and_updating(shop, client):
    page = add(client, "SHIRT-M", 2)

    submit(client, page.text, {"class": "line-form"}, {"name": "update"}, fill={"quantity": 6})

    assert lines(client) == [("SHIRT-M", 6)]


def test_typing_a_bad_quantity_shows_the_error_and_changes_nothing(shop, client):
    page = add(client, "SHIRT-M", 2)

    response = submit(client, page.text, {"class": "line-form"}, {"name": "update"},
                      fill={"quantity": "lots"})  # fmt: skip

    # The page comes back with the typed value in its field and the reason right next to it.
    assert response.status_code == 400
    assert messages_of(response) == []
    line = CartLine.objects.get()
    assert (
        f'<p class="notice bad quantity-error" id="qty-error-{line.pk}" role="alert" '
        "data-quantity-error>Enter the quantity as a whole number.</p>"
    ) in response.text
    assert 'value="lots"' in response.text and 'aria-invalid="true"' in response.text
    assert lines(client) == [("SHIRT-M", 2)]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("4", "Only 3 of Linen Shirt left."), ("1000", "You can buy at most 99 of one item."),
     ("-2", "The quantity must be at least 1."), ("", "Enter the quantity as a whole number.")],
)  # fmt: skip
def test_a_refused_typed_quantity_is_explained_next_to_its_field(shop, client, typed, reason):
    page = add(client, "SHIRT-L")  # 3 in stock

    response = submit(client, page.text, {"class": "line-form"}, {"name": "update"},
                      fill={"quantity": typed})  # fmt: skip

    assert response.status_code == 400
    assert f"data-quantity-error>{reason}</p>" in response.text
    assert lines(client) == [("SHIRT-L", 1)]


def test_a_typed_zero_removes_the_line(shop, client):
    add(client, "BOOK")
    page = add(client, "SHIRT-M", 2)
    shirt = CartLine.objects.get(variant__sku="SHIRT-M")

    response = submit(client, page.text, {"data-line-form": str(shirt.pk)}, {"name": "update"},
                      fill={"quantity": "0"})  # fmt: skip

    assert lines(client) == [("BOOK", 1)]
    assert response.redirect_chain[-1][0] == "/en/cart/"


def test_enter_in_the_quantity_field_sends_the_typed_quantity(shop, client):
    """Enter submits a form through its first submit button: that must be "Update" (hidden),
    not the stepper's "−", whatever the line's quantity."""
    page = add(client, "SHIRT-M", 2)
    parser = _Forms()
    parser.feed(page.text)
    form = next(f for f in parser.forms if f["attrs"].get("class") == "line-form")
    buttons = [attrs for tag, attrs in form["controls"] if tag == "button"]
    assert buttons[0].get("name") == "update" and "data-default-submit" in buttons[0]
    assert "disabled" not in buttons[0]
    assert "novalidate" in form["attrs"]

    submit(client, page.text, {"class": "line-form"}, {"data-default-submit": ""},
           fill={"quantity": 5})  # fmt: skip

    assert lines(client) == [("SHIRT-M", 5)]


def test_the_remove_button_removes_the_line(shop, client):
    add(client, "BOOK")
    page = add(client, "SHIRT-M", 2)

    response = submit(client, page.text, {"data-line-form": str(CartLine.objects.get(
        variant__sku="SHIRT-M").pk)}, {"name": "remove"})  # fmt: skip

    assert lines(client) == [("BOOK", 1)]
    assert response.redirect_chain[-1][0] == "/en/cart/"


def test_choosing_express_shipping_by_form(shop, client):
    page = add(client, "SHIRT-M", 2)

    response = submit(client, page.text, {"class": "shipping-choice"}, {},
                      fill={"shipping_method": shop.de_express.pk})  # fmt: skip

    assert response.context["pricing"].shipping.name == "Express"
    assert Cart.objects.get().shipping_method == shop.de_express
    assert f"36,70{NBSP}€" in response.text  # 23.80 + 12.90


def test_applying_a_voucher_by_form(shop, client):
    factories.VoucherFactory(code="TEN", percentage=Decimal("10"))
    page = add(client, "SHIRT-M", 2)

    response = submit(client, page.text, {"class": "voucher-form"}, {}, fill={"code": "ten"})

    assert messages_of(response) == ["Voucher applied."]
    assert "Voucher TEN" in response.text
    assert f"−2,38{NBSP}€" in response.text


def test_an_invalid_voucher_shows_an_error_and_changes_nothing(shop, client):
    page = add(client, "SHIRT-M", 2)
    before = page.context["pricing"].total

    response = submit(client, page.text, {"class": "voucher-form"}, {}, fill={"code": "NOPE"})

    assert messages_of(response) == ["“NOPE” is not a valid voucher code."]
    assert response.context["pricing"].total == before
    assert Cart.objects.get().voucher is None


def test_a_voucher_code_with_markup_is_shown_escaped(shop, client):
    page = add(client, "SHIRT-M")

    response = submit(client, page.text, {"class": "voucher-form"}, {},
                      fill={"code": "<script>alert(1)</script>"})  # fmt: skip

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_removing_the_voucher_by_form(shop, client):
    factories.VoucherFactory(code="TEN")
    page = add(client, "SHIRT-M", 2)
    page = submit(client, page.text, {"class": "voucher-form"}, {}, fill={"code": "TEN"})

    response = submit(client, page.text, {"class": "voucher-form"}, {"name": "remove"})

    assert Cart.objects.get().voucher is None
    assert "Voucher TEN" not in response.text
