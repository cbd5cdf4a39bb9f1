"""Demo customers across the markets: registered (with an account) and guests, with phones in
the way people type them (the loader stores them as E.164), and a mix of marketing consents.

Dates are counted back from a fixed reference date rather than from today, so that loading the
demo twice, or on two machines, gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from shop.models import ConsentSource

REFERENCE_DATE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CustomerData:
    email: str
    first_name: str
    last_name: str
    country: str
    language: str
    phone: str = ""
    registered: bool = False
    joined_days_ago: int = 30
    consent: str = ""  # a ConsentSource when the customer agreed to marketing
    unsubscribed_days_ago: int | None = None


C = CustomerData
ACCOUNT = ConsentSource.ACCOUNT
CHECKOUT = ConsentSource.CHECKOUT
IMPORT = ConsentSource.IMPORT
ADMIN = ConsentSource.ADMIN

CUSTOMERS: tuple[CustomerData, ...] = (
    # Germany & Austria
    C("lena.schmidt@example.com", "Lena", "Schmidt", "DE", "de", "0151 23456789",
      registered=True, joined_days_ago=400, consent=ACCOUNT),
    C("jonas.becker@example.com", "Jonas", "Becker", "DE", "de", "0170 4412398",
      joined_days_ago=45, consent=CHECKOUT),
    C("mia.wagner@example.com", "Mia", "Wagner", "DE", "de", "030 90182736",
      registered=True, joined_days_ago=220),
    C("lukas.hoffmann@example.com", "Lukas", "Hoffmann", "DE", "de", "0162 3345871",
      joined_days_ago=150, consent=CHECKOUT, unsubscribed_days_ago=20),
    C("max.mueller@example.com", "Max", "Müller", "DE", "de", "0176 55512345",
      registered=True, joined_days_ago=700, consent=IMPORT),
    C("sophie.gruber@example.com", "Sophie", "Gruber", "AT", "de", "0664 1234567",
      registered=True, joined_days_ago=300, consent=ACCOUNT),
    # France
    C("camille.dubois@example.com", "Camille", "Dubois", "FR", "fr", "06 12 34 56 78",
      registered=True, joined_days_ago=510, consent=ACCOUNT),
    C("louis.martin@example.com", "Louis", "Martin", "FR", "fr", "07 81 23 45 67",
      joined_days_ago=12),
    C("chloe.lefevre@example.com", "Chloé", "Lefèvre", "FR", "fr",
      joined_days_ago=75, consent=CHECKOUT),
    # Netherlands & Belgium
    C("sanne.devries@example.com", "Sanne", "de Vries", "NL", "nl", "06 12345678",
      registered=True, joined_days_ago=260, consent=ACCOUNT),
    C("daan.jansen@example.com", "Daan", "Jansen", "NL", "nl", "06 23456789",
      joined_days_ago=30),
    C("lotte.peeters@example.com", "Lotte", "Peeters", "BE", "nl", "0470 12 34 56",
      joined_days_ago=90, consent=CHECKOUT),
    # Italy and Spain
    C("giulia.rossi@example.com", "Giulia", "Rossi", "IT", "it", "312 345 6789",
      joined_days_ago=60),
    C("lucia.garcia@example.com", "Lucía", "García", "ES", "es", "612 34 56 78",
      registered=True, joined_days_ago=180, consent=ADMIN),
    # Switzerland (German and French speakers)
    C("laura.meier@example.com", "Laura", "Meier", "CH", "de", "078 123 45 67",
      registered=True, joined_days_ago=140, consent=ACCOUNT),
    C("julien.favre@example.com", "Julien", "Favre", "CH", "fr", "079 234 56 78",
      joined_days_ago=12),
    # Poland
    C("zofia.kowalska@example.com", "Zofia", "Kowalska", "PL", "pl", "512 345 678",
      registered=True, joined_days_ago=330, consent=ACCOUNT),
    C("jakub.nowak@example.com", "Jakub", "Nowak", "PL", "pl", "601 234 567",
      joined_days_ago=8),
    C("anna.wisniewska@example.com", "Anna", "Wiśniewska", "PL", "pl",
      joined_days_ago=200, consent=CHECKOUT, unsubscribed_days_ago=60),
    # United Kingdom
    C("oliver.smith@example.com", "Oliver", "Smith", "GB", "en", "07911 123456",
      registered=True, joined_days_ago=420, consent=ACCOUNT),
    C("amelia.jones@example.com", "Amelia", "Jones", "GB", "en", "07400 123456",
      joined_days_ago=25),
    C("harry.taylor@example.com", "Harry", "Taylor", "GB", "en",
      joined_days_ago=5, consent=CHECKOUT),
    # United States
    C("emily.johnson@example.com", "Emily", "Johnson", "US", "en", "(415) 555-0132",
      registered=True, joined_days_ago=380, consent=ACCOUNT),
    C("michael.brown@example.com", "Michael", "Brown", "US", "en", "(212) 555-0198",
      joined_days_ago=15),
    C("ashley.williams@example.com", "Ashley", "Williams", "US", "en", "(305) 555-0147",
      joined_days_ago=40, consent=CHECKOUT),
    # Canada
    C("olivia.tremblay@example.com", "Olivia", "Tremblay", "CA", "fr", "(514) 555-0147",
      registered=True, joined_days_ago=240, consent=ACCOUNT),
    C("liam.wilson@example.com", "Liam", "Wilson", "CA", "en", "(416) 555-0173",
      joined_days_ago=18),
    # Brazil
    C("ana.souza@example.com", "Ana", "Souza", "BR", "pt-br", "(11) 91234-5678",
      registered=True, joined_days_ago=290, consent=ACCOUNT),
    C("pedro.oliveira@example.com", "Pedro", "Oliveira", "BR", "pt-br", "(21) 98765-4321",
      joined_days_ago=10),
    C("juliana.santos@example.com", "Juliana", "Santos", "BR", "pt-br", "(31) 99876-5432",
      joined_days_ago=55, consent=CHECKOUT),
    # Saudi Arabia and the Emirates
    C("fatimah.alharbi@example.com", "فاطمة", "الحربي", "SA", "ar", "050 123 4567",
      registered=True, joined_days_ago=210, consent=ACCOUNT),
    C("abdullah.alqahtani@example.com", "عبدالله", "القحطاني", "SA", "ar", "055 987 6543",
      joined_days_ago=7),
    C("noura.almansoori@example.com", "نورة", "المنصوري", "AE", "ar", "050 123 4567",
      registered=True, joined_days_ago=170, consent=ACCOUNT),
    C("priya.nair@example.com", "Priya", "Nair", "AE", "en", "052 765 4321",
      joined_days_ago=22, consent=CHECKOUT),
    # China
    C("wang.fang@example.com", "芳", "王", "CN", "zh-hans", "138 0013 8000",
      registered=True, joined_days_ago=160, consent=ACCOUNT),
    C("li.wei@example.com", "伟", "李", "CN", "zh-hans", "139 1234 5678",
      joined_days_ago=3),
    # Japan
    C("hina.sato@example.com", "陽菜", "佐藤", "JP", "ja", "090-1234-5678",
      registered=True, joined_days_ago=350, consent=ACCOUNT),
    C("shota.suzuki@example.com", "翔太", "鈴木", "JP", "ja", "080-9876-5432",
      joined_days_ago=28),
    # Türkiye
    C("elif.yilmaz@example.com", "Elif", "Yılmaz", "TR", "tr", "0532 123 45 67",
      registered=True, joined_days_ago=150, consent=ACCOUNT),
    C("mehmet.kaya@example.com", "Mehmet", "Kaya", "TR", "tr", "0542 987 65 43",
      joined_days_ago=6),
    # Mexico
    C("fernanda.lopez@example.com", "Fernanda", "López", "MX", "es", "33 1234 5678",
      registered=True, joined_days_ago=120, consent=ACCOUNT),
    C("diego.hernandez@example.com", "Diego", "Hernández", "MX", "es", "55 8765 4321",
      joined_days_ago=4, consent=CHECKOUT),
)  # fmt: skip
