"""Demo variant attributes (colour, size, material) and their values, in every shop language.

Products refer to values by a short key (``"navy"``, ``"m"``, ``"merino"``); the database keys
them by attribute and English value.
"""

from __future__ import annotations

from dataclasses import dataclass

from shop.demo.i18n import Texts


@dataclass(frozen=True)
class Value:
    text: Texts
    swatch: str = ""


def same(text: str, **local: str) -> Texts:
    """A value written alike in every language (``"M"``, ``"50 × 50 cm"``), with exceptions."""
    return {
        "en": text, "de": text, "fr": text, "nl": text, "pl": text, "pt-br": text,
        "ar": text, "zh-hans": text, "ja": text, "es": text, "it": text, "tr": text, **local,
    }  # fmt: skip


def eu_size(size: str) -> Texts:
    """European shoe and sock sizes; Chinese shops write 欧码 ("European size")."""
    return same(f"EU {size}", **{"zh-hans": f"欧码 {size}"})


ATTRIBUTES: dict[str, Texts] = {
    "colour": {
        "en": "Colour", "de": "Farbe", "fr": "Couleur", "nl": "Kleur", "pl": "Kolor",
        "pt-br": "Cor", "ar": "اللون", "zh-hans": "颜色", "ja": "カラー",
        "es": "Color", "it": "Colore", "tr": "Renk",
    },
    "size": {
        "en": "Size", "de": "Größe", "fr": "Taille", "nl": "Maat", "pl": "Rozmiar",
        "pt-br": "Tamanho", "ar": "المقاس", "zh-hans": "尺码", "ja": "サイズ",
        "es": "Talla", "it": "Taglia", "tr": "Beden",
    },
    "material": {
        "en": "Material", "de": "Material", "fr": "Matière", "nl": "Materiaal", "pl": "Materiał",
        "pt-br": "Material", "ar": "الخامة", "zh-hans": "材质", "ja": "素材",
        "es": "Material", "it": "Materiale", "tr": "Malzeme",
    },
}  # fmt: skip

COLOURS: dict[str, Value] = {
    "white": Value({
        "en": "White", "de": "Weiß", "fr": "Blanc", "nl": "Wit", "pl": "Biały",
        "pt-br": "Branco", "ar": "أبيض", "zh-hans": "白色", "ja": "ホワイト",
        "es": "Blanco", "it": "Bianco", "tr": "Beyaz",
    }, "#f4f1ea"),
    "natural": Value({
        "en": "Natural", "de": "Natur", "fr": "Naturel", "nl": "Naturel", "pl": "Naturalny",
        "pt-br": "Cru", "ar": "طبيعي", "zh-hans": "本色", "ja": "ナチュラル",
        "es": "Crudo", "it": "Naturale", "tr": "Natürel",
    }, "#e6dcc6"),
    "sand": Value({
        "en": "Sand", "de": "Sand", "fr": "Sable", "nl": "Zand", "pl": "Piaskowy",
        "pt-br": "Areia", "ar": "رملي", "zh-hans": "沙色", "ja": "サンド",
        "es": "Arena", "it": "Sabbia", "tr": "Kum beji",
    }, "#d6c3a1"),
    "grey": Value({
        "en": "Grey", "de": "Grau", "fr": "Gris", "nl": "Grijs", "pl": "Szary",
        "pt-br": "Cinza", "ar": "رمادي", "zh-hans": "灰色", "ja": "グレー",
        "es": "Gris", "it": "Grigio", "tr": "Gri",
    }, "#8d9093"),
    "black": Value({
        "en": "Black", "de": "Schwarz", "fr": "Noir", "nl": "Zwart", "pl": "Czarny",
        "pt-br": "Preto", "ar": "أسود", "zh-hans": "黑色", "ja": "ブラック",
        "es": "Negro", "it": "Nero", "tr": "Siyah",
    }, "#23272b"),
    "navy": Value({
        "en": "Navy", "de": "Marineblau", "fr": "Bleu marine", "nl": "Marineblauw",
        "pl": "Granatowy", "pt-br": "Azul-marinho", "ar": "كحلي", "zh-hans": "藏青色",
        "ja": "ネイビー",
        "es": "Azul marino", "it": "Blu navy", "tr": "Lacivert",
    }, "#24324f"),
    "blue": Value({
        "en": "Blue", "de": "Blau", "fr": "Bleu", "nl": "Blauw", "pl": "Niebieski",
        "pt-br": "Azul", "ar": "أزرق", "zh-hans": "蓝色", "ja": "ブルー",
        "es": "Azul", "it": "Blu", "tr": "Mavi",
    }, "#3b6ea8"),
    "olive": Value({
        "en": "Olive", "de": "Oliv", "fr": "Olive", "nl": "Olijfgroen", "pl": "Oliwkowy",
        "pt-br": "Verde-oliva", "ar": "زيتي", "zh-hans": "橄榄绿", "ja": "オリーブ",
        "es": "Verde oliva", "it": "Verde oliva", "tr": "Zeytin yeşili",
    }, "#5d6b3a"),
    "red": Value({
        "en": "Red", "de": "Rot", "fr": "Rouge", "nl": "Rood", "pl": "Czerwony",
        "pt-br": "Vermelho", "ar": "أحمر", "zh-hans": "红色", "ja": "レッド",
        "es": "Rojo", "it": "Rosso", "tr": "Kırmızı",
    }, "#b23a32"),
    "mustard": Value({
        "en": "Mustard", "de": "Senfgelb", "fr": "Moutarde", "nl": "Mosterdgeel",
        "pl": "Musztardowy", "pt-br": "Mostarda", "ar": "خردلي", "zh-hans": "芥末黄",
        "ja": "マスタード",
        "es": "Mostaza", "it": "Senape", "tr": "Hardal",
    }, "#d19a2a"),
    "terracotta": Value({
        "en": "Terracotta", "de": "Terrakotta", "fr": "Terracotta", "nl": "Terracotta",
        "pl": "Terakota", "pt-br": "Terracota", "ar": "تيراكوتا", "zh-hans": "赤陶色",
        "ja": "テラコッタ",
        "es": "Terracota", "it": "Terracotta", "tr": "Kiremit",
    }, "#c0643f"),
    "cognac": Value({
        "en": "Cognac", "de": "Cognac", "fr": "Cognac", "nl": "Cognac", "pl": "Koniakowy",
        "pt-br": "Conhaque", "ar": "كونياك", "zh-hans": "干邑色", "ja": "コニャック",
        "es": "Coñac", "it": "Cognac", "tr": "Konyak",
    }, "#9a5a2c"),
}  # fmt: skip

SIZES: dict[str, Value] = {
    "s": Value(same("S")),
    "m": Value(same("M")),
    "l": Value(same("L")),
    "one-size": Value({
        "en": "One size", "de": "Einheitsgröße", "fr": "Taille unique", "nl": "One size",
        "pl": "Rozmiar uniwersalny", "pt-br": "Tamanho único", "ar": "مقاس واحد",
        "zh-hans": "均码", "ja": "フリーサイズ",
        "es": "Talla única", "it": "Taglia unica", "tr": "Tek beden",
    }),
    "eu-38": Value(eu_size("38")),
    "eu-40": Value(eu_size("40")),
    "eu-41": Value(eu_size("41")),
    "eu-42": Value(eu_size("42")),
    "eu-43": Value(eu_size("43")),
    "eu-44": Value(eu_size("44")),
    "eu-39-42": Value(eu_size("39–42")),
    "eu-43-46": Value(eu_size("43–46")),
    "85-cm": Value(same("85 cm")),
    "95-cm": Value(same("95 cm")),
    "105-cm": Value(same("105 cm")),
    "50x50-cm": Value(same("50 × 50 cm")),
    "130x180-cm": Value(same("130 × 180 cm")),
    "100-g": Value(same("100 g")),
    "180-g": Value(same("180 g")),
    "250-g": Value(same("250 g")),
    "400-g": Value(same("400 g")),
    "500-g": Value(same("500 g")),
    "1-kg": Value(same("1 kg")),
}  # fmt: skip

MATERIALS: dict[str, Value] = {
    "organic-cotton": Value({
        "en": "Organic cotton", "de": "Bio-Baumwolle", "fr": "Coton bio",
        "nl": "Biologisch katoen", "pl": "Bawełna organiczna", "pt-br": "Algodão orgânico",
        "ar": "قطن عضوي", "zh-hans": "有机棉", "ja": "オーガニックコットン",
        "es": "Algodón orgánico", "it": "Cotone biologico", "tr": "Organik pamuk",
    }),
    "linen": Value({
        "en": "Linen", "de": "Leinen", "fr": "Lin", "nl": "Linnen", "pl": "Len",
        "pt-br": "Linho", "ar": "كتان", "zh-hans": "亚麻", "ja": "リネン",
        "es": "Lino", "it": "Lino", "tr": "Keten",
    }),
    "merino": Value({
        "en": "Merino wool", "de": "Merinowolle", "fr": "Laine mérinos", "nl": "Merinowol",
        "pl": "Wełna merino", "pt-br": "Lã merino", "ar": "صوف المرينو",
        "zh-hans": "美利奴羊毛", "ja": "メリノウール",
        "es": "Lana merino", "it": "Lana merino", "tr": "Merinos yünü",
    }),
    "wool": Value({
        "en": "Wool", "de": "Wolle", "fr": "Laine", "nl": "Wol", "pl": "Wełna", "pt-br": "Lã",
        "ar": "صوف", "zh-hans": "羊毛", "ja": "ウール",
        "es": "Lana", "it": "Lana", "tr": "Yün",
    }),
    "recycled-polyester": Value({
        "en": "Recycled polyester", "de": "Recyceltes Polyester", "fr": "Polyester recyclé",
        "nl": "Gerecycled polyester", "pl": "Poliester z recyklingu",
        "pt-br": "Poliéster reciclado", "ar": "بوليستر معاد تدويره", "zh-hans": "再生涤纶",
        "ja": "リサイクルポリエステル",
        "es": "Poliéster reciclado",
        "it": "Poliestere riciclato",
        "tr": "Geri dönüştürülmüş polyester",
    }),
    "leather": Value({
        "en": "Leather", "de": "Leder", "fr": "Cuir", "nl": "Leer", "pl": "Skóra",
        "pt-br": "Couro", "ar": "جلد", "zh-hans": "皮革", "ja": "レザー",
        "es": "Piel", "it": "Pelle", "tr": "Deri",
    }),
    "suede": Value({
        "en": "Suede", "de": "Veloursleder", "fr": "Daim", "nl": "Suède", "pl": "Zamsz",
        "pt-br": "Camurça", "ar": "شامواه", "zh-hans": "麂皮", "ja": "スエード",
        "es": "Ante", "it": "Camoscio", "tr": "Süet",
    }),
    "canvas": Value({
        "en": "Canvas", "de": "Canvas", "fr": "Toile", "nl": "Canvas", "pl": "Płótno",
        "pt-br": "Lona", "ar": "قماش الكانفاس", "zh-hans": "帆布", "ja": "キャンバス",
        "es": "Lona", "it": "Tela canvas", "tr": "Kanvas",
    }),
    "stoneware": Value({
        "en": "Stoneware", "de": "Steinzeug", "fr": "Grès", "nl": "Steengoed",
        "pl": "Kamionka", "pt-br": "Grés", "ar": "خزف حجري", "zh-hans": "炻器",
        "ja": "ストーンウェア",
        "es": "Gres", "it": "Gres", "tr": "Taş seramik",
    }),
    "ceramic": Value({
        "en": "Ceramic", "de": "Keramik", "fr": "Céramique", "nl": "Keramiek",
        "pl": "Ceramika", "pt-br": "Cerâmica", "ar": "سيراميك", "zh-hans": "陶瓷",
        "ja": "セラミック",
        "es": "Cerámica", "it": "Ceramica", "tr": "Seramik",
    }),
    "soy-wax": Value({
        "en": "Soy wax", "de": "Sojawachs", "fr": "Cire de soja", "nl": "Sojawas",
        "pl": "Wosk sojowy", "pt-br": "Cera de soja", "ar": "شمع الصويا", "zh-hans": "大豆蜡",
        "ja": "ソイワックス",
        "es": "Cera de soja", "it": "Cera di soia", "tr": "Soya mumu",
    }),
}  # fmt: skip

# Attribute code -> its values, in the order the attributes are shown.
VALUES: dict[str, dict[str, Value]] = {
    "colour": COLOURS,
    "size": SIZES,
    "material": MATERIALS,
}
