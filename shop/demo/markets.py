"""Demo markets: where the shop sells, in which currency and language, with which rules.

The shop is based in the EU (Germany), so EU markets pay no duties, and markets abroad either
prepay them (DDP: the shopper sees them at checkout and pays nothing on delivery) or have them
estimated (DAP). Amounts are in the market's currency; rates are in percent. A country belongs to
one market only, so countries with different payment habits (iDEAL in the Netherlands, SEPA and
Klarna in Germany) get markets of their own even though they share the euro.
"""

from __future__ import annotations

from dataclasses import dataclass

from shop.demo.i18n import Texts
from shop.models import (
    DeMinimisBasis,
    DutyMode,
    PaymentMethodCode,
    PriceRounding,
    TaxClass,
    TrustBadgeKind,
)

STANDARD = TaxClass.STANDARD
REDUCED = TaxClass.REDUCED
ZERO = TaxClass.ZERO


@dataclass(frozen=True)
class Tax:
    """A tax rate of one class in a country, or in one region (US state, Canadian province)."""

    country: str
    rate: str
    name: str
    tax_class: str = STANDARD
    region: str = ""
    taxes_shipping: bool = True  # the rate also applies to shipping and payment fees


@dataclass(frozen=True)
class Shipping:
    name: Texts
    carrier: str
    price: str
    days: tuple[int, int]
    free_from: str | None = None
    tracked: bool = True


@dataclass(frozen=True)
class Zone:
    name: str
    countries: tuple[str, ...]
    methods: tuple[Shipping, ...]


@dataclass(frozen=True)
class Payment:
    code: str
    fee: str = "0"
    min_order: str | None = None
    max_order: str | None = None
    max_instalments: int = 1


@dataclass(frozen=True)
class Badge:
    kind: str
    text: Texts


# US state base sales tax rates (2026, state level only) and whether the state taxes delivery
# charges stated separately on the invoice. Sources: each state's department of revenue; the
# shipping column follows the Sales Tax Institute's state chart "Taxability of shipping and
# handling". Territories and military addresses (AA, AE, AP, AS, FM, GU, MH, MP, PW, VI) have no
# state sales tax; Puerto Rico charges its 10.5 % IVU.
_US_RATES = {
    "AL": "4", "AK": "0", "AZ": "5.6", "AR": "6.5", "CA": "7.25", "CO": "2.9", "CT": "6.35",
    "DE": "0", "DC": "6", "FL": "6", "GA": "4", "HI": "4", "ID": "6", "IL": "6.25", "IN": "7",
    "IA": "6", "KS": "6.5", "KY": "6", "LA": "5", "ME": "5.5", "MD": "6", "MA": "6.25",
    "MI": "6", "MN": "6.875", "MS": "7", "MO": "4.225", "MT": "0", "NE": "5.5", "NV": "6.85",
    "NH": "0", "NJ": "6.625", "NM": "4.875", "NY": "4", "NC": "4.75", "ND": "5", "OH": "5.75",
    "OK": "4.5", "OR": "0", "PA": "6", "RI": "7", "SC": "6", "SD": "4.2", "TN": "7",
    "TX": "6.25", "UT": "6.1", "VT": "6", "VA": "5.3", "WA": "6.5", "WV": "6", "WI": "5",
    "WY": "4", "PR": "10.5", "AA": "0", "AE": "0", "AP": "0", "AS": "0", "FM": "0", "GU": "0",
    "MH": "0", "MP": "0", "PW": "0", "VI": "0",
}  # fmt: skip
_US_TAXES_SHIPPING = {
    "AR", "CT", "DC", "GA", "HI", "IN", "KS", "KY", "MI", "MN", "MS", "NE", "NJ", "NM", "NY",
    "NC", "ND", "OH", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "VT", "WA", "WI", "WV",
}  # fmt: skip
US_STATE_SALES_TAX = tuple(
    Tax("US", rate, "Sales tax" if rate != "0" else "No state sales tax", region=state,
        taxes_shipping=state in _US_TAXES_SHIPPING)  # fmt: skip
    for state, rate in _US_RATES.items()
)


@dataclass(frozen=True)
class MarketData:
    code: str
    name: Texts
    currency: str
    language: str
    countries: tuple[str, ...]
    taxes: tuple[Tax, ...]
    zones: tuple[Zone, ...]
    payments: tuple[Payment, ...]
    badges: tuple[Badge, ...]
    prices_include_tax: bool = True
    price_rounding: str = PriceRounding.NONE
    duty_mode: str = DutyMode.NONE
    duty_rate: str = "0"
    duty_de_minimis: str = "0"
    duty_de_minimis_basis: str = DeMinimisBasis.GOODS_VALUE
    duty_value_includes_shipping: bool = False  # CIF valuation rather than FOB
    abandonment_cutoff_minutes: int = 60
    marketing_opt_in_required: bool = True
    phone_required: bool = False


# --- Shipping method names, in every language ------------------------------------------------

STANDARD_DELIVERY: Texts = {
    "en": "Standard delivery",
    "de": "Standardversand",
    "fr": "Livraison standard",
    "nl": "Standaardverzending",
    "pl": "Dostawa standardowa",
    "pt-br": "Entrega padrão",
    "ar": "الشحن العادي",
    "zh-hans": "标准配送",
    "ja": "通常配送",
    "es": "Envío estándar", "it": "Spedizione standard", "tr": "Standart teslimat",
}
EXPRESS_DELIVERY: Texts = {
    "en": "Express delivery",
    "de": "Expressversand",
    "fr": "Livraison express",
    "nl": "Expresverzending",
    "pl": "Dostawa ekspresowa",
    "pt-br": "Entrega expressa",
    "ar": "الشحن السريع",
    "zh-hans": "特快配送",
    "ja": "お急ぎ便",
    "es": "Envío urgente", "it": "Spedizione espressa", "tr": "Hızlı teslimat",
}
ECONOMY_DELIVERY: Texts = {
    "en": "Economy delivery (untracked)",
    "de": "Sparversand (ohne Sendungsverfolgung)",
    "fr": "Livraison économique (sans suivi)",
    "nl": "Voordelige verzending (zonder track & trace)",
    "pl": "Dostawa ekonomiczna (bez śledzenia)",
    "pt-br": "Entrega econômica (sem rastreio)",
    "ar": "الشحن الاقتصادي (بدون تتبع)",
    "zh-hans": "经济配送（无物流跟踪）",
    "ja": "エコノミー配送（追跡なし）",
    "es": "Envío económico (sin seguimiento)",
    "it": "Spedizione economica (non tracciata)",
    "tr": "Ekonomik teslimat (takipsiz)",
}
PARCEL_LOCKER: Texts = {
    "en": "InPost parcel locker",
    "de": "InPost-Paketstation",
    "fr": "Consigne InPost",
    "nl": "InPost-pakketautomaat",
    "pl": "Paczkomat InPost",
    "pt-br": "Armário de retirada InPost",
    "ar": "خزائن طرود InPost",
    "zh-hans": "InPost 自提柜",
    "ja": "InPost 宅配ロッカー",
    "es": "Taquilla InPost", "it": "Locker InPost", "tr": "InPost kargo dolabı",
}
COURIER: Texts = {
    "en": "Courier to your door",
    "de": "Kurier bis an die Haustür",
    "fr": "Livraison à domicile par coursier",
    "nl": "Koerier aan de deur",
    "pl": "Kurier pod drzwi",
    "pt-br": "Entrega em domicílio por transportadora",
    "ar": "التوصيل إلى باب المنزل",
    "zh-hans": "快递送货上门",
    "ja": "宅配便（玄関先まで）",
    "es": "Mensajero a domicilio", "it": "Corriere a domicilio", "tr": "Kapıya kurye ile teslim",
}

# --- Trust badges shared by every market -----------------------------------------------------

SECURE_PAYMENT = Badge(
    TrustBadgeKind.SECURE_PAYMENT,
    {
        "en": "Secure payment with SSL encryption",
        "de": "Sichere Zahlung mit SSL-Verschlüsselung",
        "fr": "Paiement sécurisé par chiffrement SSL",
        "nl": "Veilig betalen met SSL-versleuteling",
        "pl": "Bezpieczne płatności z szyfrowaniem SSL",
        "pt-br": "Pagamento seguro com criptografia SSL",
        "ar": "دفع آمن بتشفير SSL",
        "zh-hans": "SSL 加密，安全支付",
        "ja": "SSL暗号化による安全なお支払い",
        "es": "Pago seguro con cifrado SSL",
        "it": "Pagamento sicuro con crittografia SSL",
        "tr": "SSL şifrelemeyle güvenli ödeme",
    },
)
FREE_RETURNS = Badge(
    TrustBadgeKind.RETURNS,
    {
        "en": "30-day free returns",
        "de": "30 Tage kostenlose Rücksendung",
        "fr": "Retours gratuits sous 30 jours",
        "nl": "30 dagen gratis retourneren",
        "pl": "Darmowy zwrot w ciągu 30 dni",
        "pt-br": "Devolução grátis em até 30 dias",
        "ar": "إرجاع مجاني خلال 30 يومًا",
        "zh-hans": "30 天免费退货",
        "ja": "30日間返品無料",
        "es": "Devoluciones gratuitas durante 30 días",
        "it": "Reso gratuito entro 30 giorni",
        "tr": "30 gün ücretsiz iade",
    },
)
DUTIES_PAID_AR: Texts = {
    "en": "Duties paid: no fees on delivery",
    "ar": "الرسوم الجمركية مدفوعة: لا رسوم إضافية عند الاستلام",
}


def review(en: str, **local: str) -> Badge:
    """A short five-star review, quoted in English and in the market's language."""
    return Badge(TrustBadgeKind.REVIEW, {"en": en, **local})


def delivery(en: str, **local: str) -> Badge:
    return Badge(TrustBadgeKind.DELIVERY, {"en": en, **local})


def vat(country: str, standard: str, reduced: str, name: str = "VAT") -> tuple[Tax, ...]:
    """A country's VAT: standard, reduced (food, books) and zero rate, country-wide."""
    return (
        Tax(country, standard, name),
        Tax(country, reduced, name, REDUCED),
        Tax(country, "0", name, ZERO),
    )


def card_wallets(*codes: str) -> tuple[Payment, ...]:
    return tuple(Payment(code) for code in codes)


# --- The markets -----------------------------------------------------------------------------

MARKETS: tuple[MarketData, ...] = (
    MarketData(
        code="germany-austria",
        name={"en": "Germany & Austria", "de": "Deutschland & Österreich"},
        currency="EUR",
        language="de",
        countries=("DE", "AT"),
        taxes=vat("DE", "19", "7", "MwSt.") + vat("AT", "20", "10", "USt."),
        zones=(
            Zone(
                "Germany",
                ("DE",),
                (
                    Shipping(STANDARD_DELIVERY, "DHL", "4.95", (1, 3), free_from="50"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "12.95", (1, 1)),
                ),
            ),
            Zone(
                "Austria",
                ("AT",),
                (
                    Shipping(STANDARD_DELIVERY, "DPD", "6.95", (2, 4), free_from="75"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "19.95", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.KLARNA,
            PaymentMethodCode.CARD,
            PaymentMethodCode.SEPA_DEBIT,
            PaymentMethodCode.APPLE_PAY,
        ),
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered in 1–3 business days with DHL",
                de="Lieferung in 1–3 Werktagen mit DHL",
            ),
            review(
                "★★★★★ “Great quality, fast delivery!” – Katrin, Hamburg",
                de="★★★★★ „Tolle Qualität, schnelle Lieferung!“ – Katrin, Hamburg",
            ),
        ),
    ),
    MarketData(
        code="france",
        name={"en": "France", "fr": "France"},
        currency="EUR",
        language="fr",
        countries=("FR",),
        taxes=vat("FR", "20", "5.5", "TVA"),
        zones=(
            Zone(
                "France",
                ("FR",),
                (
                    Shipping(STANDARD_DELIVERY, "Colissimo", "5.90", (2, 4), free_from="60"),
                    Shipping(EXPRESS_DELIVERY, "UPS", "14.90", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD,
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.APPLE_PAY,
            PaymentMethodCode.KLARNA,
        ),
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered in 2–4 business days with Colissimo",
                fr="Livraison en 2 à 4 jours ouvrés avec Colissimo",
            ),
            review(
                "★★★★★ “Beautiful quality, quick delivery.” – Manon, Lyon",
                fr="★★★★★ « Très belle qualité, livraison rapide. » – Manon, Lyon",
            ),
        ),
    ),
    MarketData(
        code="benelux",
        name={"en": "Netherlands & Belgium", "nl": "Nederland & België"},
        currency="EUR",
        language="nl",
        countries=("NL", "BE"),
        taxes=vat("NL", "21", "9", "btw") + vat("BE", "21", "6", "btw/TVA"),
        zones=(
            Zone(
                "Netherlands",
                ("NL",),
                (
                    Shipping(STANDARD_DELIVERY, "PostNL", "4.95", (1, 2), free_from="50"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "11.95", (1, 1)),
                ),
            ),
            Zone(
                "Belgium",
                ("BE",),
                (Shipping(STANDARD_DELIVERY, "PostNL", "5.95", (2, 3), free_from="60"),),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.IDEAL,
            PaymentMethodCode.BANCONTACT,
            PaymentMethodCode.CARD,
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.KLARNA,
        ),
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered in 1–2 business days with PostNL",
                nl="Binnen 1–2 werkdagen bezorgd met PostNL",
            ),
            review(
                "★★★★★ “Gorgeous quality and delivered quickly.” – Femke, Utrecht",
                nl="★★★★★ “Prachtige kwaliteit en snel geleverd.” – Femke, Utrecht",
            ),
        ),
    ),
    MarketData(
        code="spain",
        name={"en": "Spain", "es": "España"},
        currency="EUR",
        language="es",
        countries=("ES",),
        taxes=vat("ES", "21", "10", "IVA"),
        zones=(
            Zone(
                "Spain",
                ("ES",),
                (
                    Shipping(STANDARD_DELIVERY, "Correos Express", "5.95", (2, 4), free_from="60"),
                    Shipping(EXPRESS_DELIVERY, "SEUR", "12.95", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD,
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.APPLE_PAY,
            PaymentMethodCode.KLARNA,
        ),
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered in 2–4 business days with Correos Express",
                es="Entrega en 2–4 días laborables con Correos Express",
            ),
            review(
                "★★★★★ “Beautiful fabric and a perfect fit.” – Lucía, Seville",
                es="★★★★★ «Un tejido precioso y la talla perfecta.» – Lucía, Sevilla",
            ),
        ),
    ),
    MarketData(
        code="italy",
        name={"en": "Italy", "it": "Italia"},
        currency="EUR",
        language="it",
        countries=("IT",),
        taxes=vat("IT", "22", "10", "IVA"),
        zones=(
            Zone(
                "Italy",
                ("IT",),
                (
                    Shipping(STANDARD_DELIVERY, "BRT", "6.90", (2, 4), free_from="69"),
                    Shipping(EXPRESS_DELIVERY, "UPS", "14.90", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD,
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.KLARNA,
            PaymentMethodCode.APPLE_PAY,
        ),
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered in 2–4 business days with BRT",
                it="Consegna in 2–4 giorni lavorativi con BRT",
            ),
            review(
                "★★★★★ “Perfect fit and beautiful fabric.” – Giulia, Milan",
                it="★★★★★ «Vestibilità perfetta e tessuto bellissimo.» – Giulia, Milano",
            ),
        ),
    ),
    MarketData(
        code="switzerland",
        name={"en": "Switzerland", "de": "Schweiz", "fr": "Suisse", "it": "Svizzera"},
        currency="CHF",
        language="de",  # French and Italian shoppers pick fr or it: one market, three languages
        countries=("CH", "LI"),  # Liechtenstein shares the Swiss customs area, VAT and franc
        taxes=vat("CH", "8.1", "2.6", "MWST") + vat("LI", "8.1", "2.6", "MWST"),
        zones=(
            Zone(
                "Switzerland & Liechtenstein",
                ("CH", "LI"),
                (
                    Shipping(STANDARD_DELIVERY, "Swiss Post", "9.90", (3, 5), free_from="100"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "24.90", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD, PaymentMethodCode.PAYPAL, PaymentMethodCode.APPLE_PAY
        ),
        price_rounding=PriceRounding.WHOLE,
        # Outside the EU: every parcel crosses a customs border. Switzerland abolished its
        # duties on industrial goods (clothing, shoes, household goods) on 1 January 2024;
        # import VAT remains, and a foreign seller registered for Swiss VAT charges it at
        # checkout (the MWST rates above), so nothing is due on delivery. Sources: Federal
        # Council, "Abolition of industrial tariffs" (2024); Swiss VAT Act, art. 7 para. 3
        # (mail-order rule).
        duty_mode=DutyMode.DDP,
        duty_rate="0",
        marketing_opt_in_required=True,  # Swiss UCA art. 3 para. 1 (o): consent for mass mail
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Duties and VAT paid: no fees on delivery",
                de="Zoll und MWST bezahlt: keine Gebühren bei der Lieferung",
                fr="Droits de douane et TVA payés : aucuns frais à la livraison",
                it="Dazi e IVA pagati: nessun costo alla consegna",
            ),
            review(
                "★★★★★ “Fine quality, and no customs fees at the door.” – Laura, Zurich",
                de="★★★★★ «Feine Qualität und keine Zollgebühren an der Tür.» – Laura, Zürich",
                fr="★★★★★ « Belle qualité, et aucun frais de douane à la porte. » – Laura, Zurich",
                it="★★★★★ «Ottima qualità e nessuna spesa doganale alla porta.» – Laura, Zurigo",
            ),
        ),
    ),
    MarketData(
        code="poland",
        name={"en": "Poland", "pl": "Polska"},
        currency="PLN",
        language="pl",
        countries=("PL",),
        taxes=vat("PL", "23", "8"),
        zones=(
            Zone(
                "Poland",
                ("PL",),
                (
                    Shipping(PARCEL_LOCKER, "InPost", "12.99", (1, 2), free_from="199"),
                    Shipping(COURIER, "DPD", "16.99", (1, 2)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.BLIK, PaymentMethodCode.P24, PaymentMethodCode.CARD
        ),
        price_rounding=PriceRounding.NINETY_NINE,
        abandonment_cutoff_minutes=45,
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered to an InPost parcel locker in 1–2 business days",
                pl="Dostawa do Paczkomatu InPost w 1–2 dni robocze",
            ),
            review(
                "★★★★★ “Great quality, the parcel came the next day.” – Magda, Kraków",
                pl="★★★★★ „Świetna jakość, paczka była następnego dnia.” – Magda, Kraków",
            ),
        ),
    ),
    MarketData(
        code="united-kingdom",
        name={"en": "United Kingdom"},
        currency="GBP",
        language="en",
        countries=("GB",),
        taxes=vat("GB", "20", "5"),
        zones=(
            Zone(
                "United Kingdom",
                ("GB",),
                (
                    Shipping(ECONOMY_DELIVERY, "Royal Mail", "2.95", (3, 5), tracked=False),
                    Shipping(STANDARD_DELIVERY, "Royal Mail", "3.95", (2, 3), free_from="50"),
                    Shipping(EXPRESS_DELIVERY, "DPD", "7.95", (1, 1)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD,
            PaymentMethodCode.PAYPAL,
            PaymentMethodCode.KLARNA,
            PaymentMethodCode.APPLE_PAY,
        ),
        price_rounding=PriceRounding.NINETY_NINE,
        # UK Global Tariff on most clothing; no customs duty on consignments up to £135 of goods.
        # The customs value includes transport to the UK border. Sources: HMRC "Tax and customs
        # for goods sent from abroad"; HMRC Notice 252 (valuation of imported goods).
        duty_mode=DutyMode.DDP,
        duty_rate="12",
        duty_de_minimis="135",
        duty_value_includes_shipping=True,
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery("Duties paid: no fees on delivery"),
            review("★★★★★ “Brilliant quality, arrived in two days.” – Charlotte, Leeds"),
        ),
    ),
    MarketData(
        code="united-states",
        name={"en": "United States"},
        currency="USD",
        language="en",
        countries=("US",),
        # Sales tax is per state, added at checkout; no federal rate. The demo charges each
        # state's base rate (local add-ons left out) for every state, territory and military
        # address the address form offers, so no region is charged 0 % by omission. Groceries
        # (the reduced class) are exempt, which the missing reduced rows express.
        taxes=US_STATE_SALES_TAX,
        zones=(
            Zone(
                "United States",
                ("US",),
                (
                    Shipping(STANDARD_DELIVERY, "USPS", "9.95", (6, 10), free_from="150"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "29.95", (2, 4)),
                ),
            ),
        ),
        payments=card_wallets(
            PaymentMethodCode.CARD, PaymentMethodCode.PAYPAL, PaymentMethodCode.APPLE_PAY
        ),
        prices_include_tax=False,
        price_rounding=PriceRounding.NINETY_NINE,
        # The US de-minimis exemption is suspended for every country, and EU goods pay the 15 %
        # tariff; the carrier collects it, so the shopper sees an estimate. Transaction value
        # leaves out international freight (FOB). Sources: Executive Order 14324 (2025);
        # 19 U.S.C. 1401a(b)(4)(A).
        duty_mode=DutyMode.DAP,
        duty_rate="15",
        duty_de_minimis="0",
        marketing_opt_in_required=False,  # CAN-SPAM: opt-out
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery("Import duties estimated upfront at checkout"),
            review("★★★★★ “Beautiful quality, arrived faster than expected.” – Jessica, Austin"),
        ),
    ),
    MarketData(
        code="canada",
        name={"en": "Canada", "fr": "Canada"},
        currency="CAD",
        language="en",
        countries=("CA",),
        # GST everywhere; provinces with HST or a provincial sales tax override it. Basic
        # groceries are zero-rated.
        taxes=(
            Tax("CA", "5", "GST"),
            Tax("CA", "0", "GST", REDUCED),
            Tax("CA", "0", "GST", ZERO),
            Tax("CA", "5", "GST", region="AB"),
            Tax("CA", "12", "GST + PST", region="BC"),
            Tax("CA", "12", "GST + RST", region="MB"),
            Tax("CA", "15", "HST", region="NB"),
            Tax("CA", "15", "HST", region="NL"),
            Tax("CA", "14", "HST", region="NS"),
            Tax("CA", "13", "HST", region="ON"),
            Tax("CA", "15", "HST", region="PE"),
            Tax("CA", "14.975", "GST + QST", region="QC"),
            Tax("CA", "11", "GST + PST", region="SK"),
        ),
        zones=(
            Zone(
                "Canada",
                ("CA",),
                (
                    Shipping(STANDARD_DELIVERY, "Canada Post", "12.95", (7, 12), free_from="150"),
                    Shipping(EXPRESS_DELIVERY, "UPS", "34.95", (3, 5)),
                ),
            ),
        ),
        payments=card_wallets(PaymentMethodCode.CARD, PaymentMethodCode.PAYPAL),
        prices_include_tax=False,
        price_rounding=PriceRounding.NINETY_NINE,
        # CETA: goods of EU origin enter duty-free; taxes are collected at checkout, so
        # nothing is due on delivery. Source: CBSA, "CETA: tariff treatment" (Customs Notice
        # 17-23).
        duty_mode=DutyMode.DDP,
        duty_rate="0",
        marketing_opt_in_required=True,  # CASL needs consent
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Duties and taxes paid: no fees on delivery",
                fr="Droits et taxes payés : aucuns frais à la livraison",
            ),
            review(
                "★★★★★ “Lovely fabrics and no surprise fees at the door.” – Chloé, Montréal",
                fr="★★★★★ « Belles matières, et aucune mauvaise surprise à la livraison. » "
                "– Chloé, Montréal",
            ),
        ),
    ),
    MarketData(
        code="brazil",
        name={"en": "Brazil", "pt-br": "Brasil"},
        currency="BRL",
        language="pt-br",
        countries=("BR",),
        # ICMS on cross-border e-commerce (Remessa Conforme); it applies to food as well.
        taxes=(
            Tax("BR", "17", "ICMS"),
            Tax("BR", "17", "ICMS", REDUCED),
            Tax("BR", "0", "ICMS", ZERO),
        ),
        zones=(
            Zone(
                "Brazil",
                ("BR",),
                (
                    Shipping(STANDARD_DELIVERY, "Correios", "39.90", (10, 20), free_from="499"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "119.90", (4, 7)),
                ),
            ),
        ),
        payments=(
            Payment(PaymentMethodCode.PIX),
            Payment(PaymentMethodCode.CARD_INSTALMENTS, min_order="100", max_instalments=12),
            Payment(PaymentMethodCode.CARD),
            Payment(PaymentMethodCode.BOLETO),
        ),
        price_rounding=PriceRounding.NINETY_NINE,
        # Federal import tax of the Remessa Conforme programme, prepaid: 20 % from the first
        # real (the former US$50 exemption ended in August 2024), on the customs value, which
        # includes freight and insurance. Sources: Lei 14.902/2024 and Portaria MF 1.086/2024;
        # Regulamento Aduaneiro (Decreto 6.759/2009), art. 77.
        duty_mode=DutyMode.DDP,
        duty_rate="20",
        duty_de_minimis="0",
        duty_value_includes_shipping=True,
        abandonment_cutoff_minutes=30,
        marketing_opt_in_required=False,
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Taxes and duties included: no fees on delivery",
                **{"pt-br": "Impostos de importação inclusos: nada a pagar na entrega"},
            ),
            review(
                "★★★★★ “Excellent quality, it arrived before the deadline.” – Mariana, São Paulo",
                **{
                    "pt-br": "★★★★★ “Qualidade excelente e chegou antes do prazo.” "
                    "– Mariana, São Paulo"
                },
            ),
        ),
    ),
    MarketData(
        code="saudi-arabia",
        name={"en": "Saudi Arabia", "ar": "المملكة العربية السعودية"},
        currency="SAR",
        language="ar",
        countries=("SA",),
        taxes=(  # VAT 15 %, no reduced rate
            Tax("SA", "15", "VAT"),
            Tax("SA", "15", "VAT", REDUCED),
            Tax("SA", "0", "VAT", ZERO),
        ),
        zones=(
            Zone(
                "Saudi Arabia",
                ("SA",),
                (
                    Shipping(STANDARD_DELIVERY, "Aramex", "29", (3, 6), free_from="299"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "69", (2, 4)),
                ),
            ),
        ),
        payments=(
            Payment(PaymentMethodCode.MADA),
            Payment(PaymentMethodCode.APPLE_PAY),
            Payment(PaymentMethodCode.CARD),
            Payment(PaymentMethodCode.COD, fee="15", max_order="2000"),
        ),
        price_rounding=PriceRounding.WHOLE,
        # GCC common external tariff, on the CIF value; no duty on shipments worth up to SAR
        # 1,000. Sources: GCC Common Customs Law, art. 36 (CIF); ZATCA, "Customs exemption for
        # low-value shipments".
        duty_mode=DutyMode.DDP,
        duty_rate="5",
        duty_de_minimis="1000",
        duty_value_includes_shipping=True,
        abandonment_cutoff_minutes=120,
        marketing_opt_in_required=False,
        phone_required=True,  # couriers call before delivering, cash on delivery
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(**DUTIES_PAID_AR),
            review(
                "★★★★★ “Excellent quality and fast delivery.” – Noura, Riyadh",
                ar="★★★★★ «جودة ممتازة وتوصيل سريع.» – نورة، الرياض",
            ),
        ),
    ),
    MarketData(
        code="united-arab-emirates",
        name={"en": "United Arab Emirates", "ar": "الإمارات العربية المتحدة"},
        currency="AED",
        language="ar",
        countries=("AE",),
        taxes=(
            Tax("AE", "5", "VAT"),
            Tax("AE", "5", "VAT", REDUCED),
            Tax("AE", "0", "VAT", ZERO),
        ),
        zones=(
            Zone(
                "United Arab Emirates",
                ("AE",),
                (
                    Shipping(STANDARD_DELIVERY, "Aramex", "25", (2, 4), free_from="250"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "59", (1, 3)),
                ),
            ),
        ),
        payments=(
            Payment(PaymentMethodCode.CARD),
            Payment(PaymentMethodCode.APPLE_PAY),
            Payment(PaymentMethodCode.COD, fee="10", max_order="3000"),
        ),
        price_rounding=PriceRounding.WHOLE,
        # GCC common external tariff on the CIF value; AED 1,000 low-value exemption. Sources:
        # GCC Common Customs Law, art. 36; UAE Federal Customs Authority.
        duty_mode=DutyMode.DDP,
        duty_rate="5",
        duty_de_minimis="1000",
        duty_value_includes_shipping=True,
        abandonment_cutoff_minutes=120,
        marketing_opt_in_required=False,
        phone_required=True,
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(**DUTIES_PAID_AR),
            review(
                "★★★★★ “Lovely products, and cash on delivery made it easy.” – Maryam, Dubai",
                ar="★★★★★ «منتجات رائعة، والدفع عند الاستلام سهّل الأمر.» – مريم، دبي",
            ),
        ),
    ),
    MarketData(
        code="china",
        name={"en": "China", "zh-hans": "中国"},
        currency="CNY",
        language="zh-hans",
        countries=("CN",),
        taxes=vat("CN", "13", "9", "增值税"),
        zones=(
            Zone(
                "China",
                ("CN",),
                (
                    Shipping(STANDARD_DELIVERY, "SF Express", "99", (5, 9), free_from="999"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "199", (3, 5)),
                ),
            ),
        ),
        payments=card_wallets(PaymentMethodCode.ALIPAY, PaymentMethodCode.WECHAT_PAY),
        price_rounding=PriceRounding.WHOLE,
        # Cross-border e-commerce composite tax for clothing: 70 % of the 13 % VAT. Collected on
        # delivery; parcels whose tax would be at most ¥50 are exempt (the threshold compares
        # the tax, not the goods), and the dutiable value includes freight. Sources: GACC
        # Announcement 2010 No. 43; Regulations on Import and Export Duties, art. 18 (CIF).
        duty_mode=DutyMode.DAP,
        duty_rate="9.1",
        duty_de_minimis="50",
        duty_de_minimis_basis=DeMinimisBasis.DUTY_AMOUNT,
        duty_value_includes_shipping=True,
        abandonment_cutoff_minutes=30,
        marketing_opt_in_required=True,  # commercial messages need consent (Advertising Law)
        phone_required=True,  # real-name customs declaration and courier contact
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Delivered by SF Express in 5–9 business days",
                **{"zh-hans": "顺丰速运，5–9 个工作日送达"},
            ),
            review(
                "★★★★★ “Great quality and fast shipping.” – Xiaowen, Shanghai",
                **{"zh-hans": "★★★★★ “质量很好，物流也很快。” – 晓雯，上海"},
            ),
        ),
    ),
    MarketData(
        code="japan",
        name={"en": "Japan", "ja": "日本"},
        currency="JPY",
        language="ja",
        countries=("JP",),
        taxes=vat("JP", "10", "8", "消費税"),
        zones=(
            Zone(
                "Japan",
                ("JP",),
                (
                    Shipping(STANDARD_DELIVERY, "Japan Post", "1500", (6, 10), free_from="12000"),
                    Shipping(EXPRESS_DELIVERY, "Yamato Transport", "3500", (2, 4)),
                ),
            ),
        ),
        payments=(
            Payment(PaymentMethodCode.CARD),
            Payment(PaymentMethodCode.KONBINI, max_order="300000"),
            Payment(PaymentMethodCode.PAYPAL),
        ),
        price_rounding=PriceRounding.WHOLE,
        # Simplified tariff on low-value imports (10 % on most clothing), prepaid; nothing is
        # due on parcels worth at most ¥10,000; dutiable value is CIF. Sources: Japan Customs,
        # "Customs procedures for small packages" (Code 1006); Customs Tariff Act, art. 4.
        duty_mode=DutyMode.DDP,
        duty_rate="10",
        duty_de_minimis="10000",
        duty_value_includes_shipping=True,
        abandonment_cutoff_minutes=90,
        marketing_opt_in_required=True,  # Act on Specified Electronic Mail: opt-in
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Duties and taxes included: nothing to pay on delivery",
                ja="関税・消費税込み：お受け取り時のお支払いはありません",
            ),
            review(
                "★★★★★ “Great quality and carefully packed.” – Misaki, Tokyo",
                ja="★★★★★「品質が良く、梱包もとても丁寧でした。」– 美咲さん（東京）",
            ),
        ),
    ),
    MarketData(
        code="turkey",
        name={"en": "Türkiye", "tr": "Türkiye"},
        currency="TRY",
        language="tr",
        countries=("TR",),
        # KDV: 20 % standard, 10 % on most food; shown prices include it (Turkish law on
        # price labels requires the price with all taxes).
        taxes=vat("TR", "20", "10", "KDV"),
        zones=(
            Zone(
                "Türkiye",
                ("TR",),
                (
                    Shipping(STANDARD_DELIVERY, "PTT Kargo", "299.99", (5, 9), free_from="2999"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "899.99", (2, 4)),
                ),
            ),
        ),
        payments=(
            # Turkish cards pay in "taksit": the card choice shows each plan and its amount.
            Payment(PaymentMethodCode.CARD, max_instalments=12),
            Payment(PaymentMethodCode.COD, fee="49.99", max_order="10000"),  # kapıda ödeme
        ),
        price_rounding=PriceRounding.NINETY_NINE,
        # E-commerce parcels from abroad pay a flat-rate levy on the goods value under the
        # simplified regime for postal and express consignments (30 % for goods of EU origin,
        # as amended in 2024), prepaid here so that nothing is due on delivery. Source: the
        # Turkish Customs Regulation's provisions on postal and express consignments; check
        # the current rate before going live, it has changed often.
        duty_mode=DutyMode.DDP,
        duty_rate="30",
        duty_de_minimis="0",
        abandonment_cutoff_minutes=60,
        marketing_opt_in_required=True,  # Law 6563: commercial messages need prior consent
        phone_required=True,  # couriers text and call a mobile number; cash on delivery
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Duties included: no fees on delivery",
                tr="Gümrük vergileri dahil: teslimatta ek ücret yok",
            ),
            review(
                "★★★★★ “Great fabric quality and fast delivery.” – Elif, Istanbul",
                tr="★★★★★ “Kumaş kalitesi harika, kargo çok hızlıydı.” – Elif, İstanbul",
            ),
        ),
    ),
    MarketData(
        code="mexico",
        name={"en": "Mexico", "es": "México"},
        currency="MXN",
        language="es",  # formatted the Mexican way (es_MX: $1,234.50), not Spain's
        countries=("MX",),
        # IVA 16 %, shown in the price (Ley Federal de Protección al Consumidor, art. 7 bis);
        # most food is zero-rated.
        taxes=vat("MX", "16", "0", "IVA"),
        zones=(
            Zone(
                "Mexico",
                ("MX",),
                (
                    Shipping(STANDARD_DELIVERY, "Estafeta", "199", (6, 10), free_from="1999"),
                    Shipping(EXPRESS_DELIVERY, "DHL Express", "599", (3, 5)),
                ),
            ),
        ),
        payments=(
            Payment(PaymentMethodCode.CARD, max_instalments=12),  # meses sin intereses
            # Cash at an OXXO store with a voucher; OXXO takes at most MX$10,000 per voucher.
            Payment(PaymentMethodCode.OXXO, min_order="10", max_order="10000"),
        ),
        price_rounding=PriceRounding.WHOLE,
        # EU-Mexico Free Trade Agreement: goods of EU origin enter free of duty; the IVA is
        # collected at checkout, so nothing is due on delivery. Source: TLCUEM, Decision 2/2000
        # of the EU-Mexico Joint Council (trade in goods).
        duty_mode=DutyMode.DDP,
        duty_rate="0",
        abandonment_cutoff_minutes=60,
        marketing_opt_in_required=False,  # LFPDPPP: privacy notice and an opt-out
        phone_required=True,  # couriers call before delivering
        badges=(
            SECURE_PAYMENT,
            FREE_RETURNS,
            delivery(
                "Taxes and duties included: nothing to pay on delivery",
                es="Impuestos incluidos: nada que pagar al recibir tu pedido",
            ),
            review(
                "★★★★★ “Excellent quality, it arrived before I expected.” – Fernanda, Guadalajara",
                es="★★★★★ “Excelente calidad, llegó antes de lo esperado.” – Fernanda, Guadalajara",
            ),
        ),
    ),
)
