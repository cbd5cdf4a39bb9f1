"""Product pictures for the demo, drawn as small SVGs so that the demo needs no binary files.

Each picture is the outline of the product type filled with the variant's colour on a soft
background of the same hue. It holds no words: one picture serves every language, and a name
drawn into it would stay English on a Japanese page (the product's name is beside it, and its
translated alt text describes it). They are written through Django's
default storage under a fixed name, so loading the demo again overwrites them instead of adding
``_a1b2c3`` copies.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

IMAGE_DIR = "products/demo"
LIGHT = "#fbf8f1"  # labels, ribbons and soles drawn in off-white

# The drawing of each product type on a 320 × 320 canvas: ``{fill}`` is the product colour,
# ``{line}`` a darker shade of it for outlines and details.
SHAPES: dict[str, str] = {
    "tshirt": """
<path d="M118 62 L142 52 Q160 72 178 52 L202 62 L252 98 L230 136 L208 122 L208 252 L112 252
 L112 122 L90 136 L68 98 Z" fill="{fill}" stroke="{line}"/>
<path d="M142 52 Q160 80 178 52" fill="none" stroke="{line}"/>""",
    "shirt": """
<path d="M118 60 L146 50 L160 64 L174 50 L202 60 L240 96 L256 232 L232 236 L212 130 L212 254
 L108 254 L108 130 L88 236 L64 232 L80 96 Z" fill="{fill}" stroke="{line}"/>
<path d="M146 50 L160 80 L174 50 M160 80 L160 254" fill="none" stroke="{line}"/>
<g fill="{line}"><circle cx="167" cy="110" r="3"/><circle cx="167" cy="150" r="3"/>
<circle cx="167" cy="190" r="3"/><circle cx="167" cy="230" r="3"/></g>""",
    "sweater": """
<path d="M118 60 L142 52 Q160 70 178 52 L202 60 L240 96 L256 228 L232 232 L212 130 L212 254
 L108 254 L108 130 L88 232 L64 228 L80 96 Z" fill="{fill}" stroke="{line}"/>
<path d="M142 52 Q160 78 178 52 M108 238 L212 238 M68 214 L90 218 M252 214 L230 218"
 fill="none" stroke="{line}"/>""",
    "hoodie": """
<path d="M126 66 Q126 22 160 22 Q194 22 194 66 Z" fill="{fill}" stroke="{line}"/>
<path d="M118 60 L142 52 Q160 70 178 52 L202 60 L240 96 L256 228 L232 232 L212 130 L212 254
 L108 254 L108 130 L88 232 L64 228 L80 96 Z" fill="{fill}" stroke="{line}"/>
<path d="M142 52 Q160 82 178 52 M150 70 L150 108 M170 70 L170 108 M128 196 L192 196 L202 236
 L118 236 Z M108 240 L212 240" fill="none" stroke="{line}"/>""",
    "jacket": """
<path d="M130 62 Q130 30 160 30 Q190 30 190 62 Z" fill="{fill}" stroke="{line}"/>
<path d="M118 58 L142 50 L160 60 L178 50 L202 58 L240 96 L256 232 L232 236 L212 130 L212 254
 L108 254 L108 130 L88 236 L64 232 L80 96 Z" fill="{fill}" stroke="{line}"/>
<path d="M160 60 L160 254 M124 190 L146 184 M196 190 L174 184" fill="none" stroke="{line}"/>""",
    "scarf": """
<path d="M130 138 L118 246 L160 250 L166 142 Z M172 142 L180 244 L220 238 L202 132 Z"
 fill="{fill}" stroke="{line}"/>
<path d="M96 86 Q160 140 224 86 Q236 120 204 142 Q160 166 116 142 Q84 120 96 86 Z"
 fill="{fill}" stroke="{line}"/>
<path d="M122 246 L120 262 M134 248 L133 264 M146 249 L146 265 M158 250 L158 266
 M184 244 L186 260 M196 242 L199 258 M208 240 L212 256" fill="none" stroke="{line}"/>""",
    "beanie": """
<circle cx="160" cy="80" r="22" fill="{fill}" stroke="{line}"/>
<path d="M92 206 Q92 96 160 96 Q228 96 228 206 Z" fill="{fill}" stroke="{line}"/>
<rect x="84" y="194" width="152" height="46" rx="12" fill="{fill}" stroke="{line}"/>
<path d="M108 200 V234 M132 200 V234 M160 200 V234 M188 200 V234 M212 200 V234"
 fill="none" stroke="{line}"/>""",
    "sneaker": """
<path d="M62 206 L66 160 Q70 142 92 144 L128 146 Q150 148 170 168 L236 186 Q260 192 260 210
 L62 214 Z" fill="{fill}" stroke="{line}"/>
<rect x="56" y="208" width="210" height="24" rx="11" fill="{light}" stroke="{line}"/>
<path d="M124 152 L140 170 M140 154 L154 172 M156 160 L168 176" fill="none" stroke="{line}"/>""",
    "boot": """
<path d="M108 60 L178 60 L178 166 Q204 176 240 186 Q264 192 264 212 L108 214 Z"
 fill="{fill}" stroke="{line}"/>
<path d="M136 76 Q150 126 136 176 L178 176 L178 76 Z" fill="{line}" opacity="0.35"/>
<rect x="100" y="208" width="172" height="24" rx="9" fill="{line}" stroke="{line}"/>""",
    "slipper": """
<path d="M60 206 Q54 136 124 126 L196 120 Q264 120 266 180 Q268 226 212 226 L100 226
 Q62 226 60 206 Z" fill="{fill}" stroke="{line}"/>
<path d="M90 164 Q146 128 204 146 Q174 170 90 164 Z" fill="{line}" opacity="0.45"/>
<rect x="56" y="216" width="214" height="18" rx="8" fill="{line}"/>""",
    "tote": """
<path d="M118 120 Q118 54 160 54 Q202 54 202 120" fill="none" stroke="{line}"
 stroke-width="9"/>
<path d="M86 118 L234 118 L246 258 L74 258 Z" fill="{fill}" stroke="{line}"/>
<path d="M96 140 L224 140" fill="none" stroke="{line}" stroke-dasharray="6 6"/>""",
    "backpack": """
<path d="M140 86 Q160 52 180 86" fill="none" stroke="{line}" stroke-width="8"/>
<rect x="96" y="82" width="128" height="174" rx="38" fill="{fill}" stroke="{line}"/>
<path d="M96 132 Q160 154 224 132" fill="none" stroke="{line}"/>
<rect x="118" y="170" width="84" height="64" rx="16" fill="none" stroke="{line}"/>""",
    "weekender": """
<path d="M120 122 Q120 74 160 74 Q200 74 200 122" fill="none" stroke="{line}"
 stroke-width="9"/>
<path d="M56 150 Q56 120 86 120 L234 120 Q264 120 264 150 L264 240 L56 240 Z"
 fill="{fill}" stroke="{line}"/>
<path d="M70 140 L250 140 M112 120 L112 240 M208 120 L208 240" fill="none"
 stroke="{line}"/>""",
    "wallet": """
<rect x="70" y="104" width="180" height="124" rx="14" fill="{fill}" stroke="{line}"/>
<path d="M160 104 L160 228 M84 132 L146 132 M84 152 L146 152 M84 172 L146 172"
 fill="none" stroke="{line}"/>""",
    "mug": """
<path d="M206 132 Q250 132 250 172 Q250 212 206 212" fill="none" stroke="{line}"
 stroke-width="16"/>
<rect x="92" y="100" width="120" height="148" rx="16" fill="{fill}" stroke="{line}"/>
<path d="M130 88 Q118 72 130 56 M160 88 Q148 72 160 56 M190 88 Q178 72 190 56" fill="none"
 stroke="{line}" opacity="0.5"/>""",
    "cushion": """
<path d="M78 82 Q160 100 242 82 Q226 160 242 238 Q160 220 78 238 Q94 160 78 82 Z"
 fill="{fill}" stroke="{line}"/>
<path d="M96 100 Q160 114 224 100 Q212 160 224 220 Q160 206 96 220 Q108 160 96 100 Z"
 fill="none" stroke="{line}" stroke-dasharray="5 7" opacity="0.6"/>""",
    "throw": """
<rect x="66" y="96" width="188" height="54" rx="12" fill="{fill}" stroke="{line}"/>
<rect x="66" y="148" width="188" height="54" rx="12" fill="{fill}" stroke="{line}"/>
<rect x="66" y="200" width="188" height="44" rx="12" fill="{fill}" stroke="{line}"/>
<path d="M80 123 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8 l12 -8
 l12 8 l12 -8 M80 175 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8 l12 -8 l12 8
 l12 -8 l12 8 l12 -8" fill="none" stroke="{line}" opacity="0.6"/>""",
    "candle": """
<path d="M160 54 Q178 78 160 96 Q142 78 160 54 Z" fill="#f2b43c"/>
<path d="M160 96 L160 112" stroke="{line}"/>
<rect x="104" y="110" width="112" height="142" rx="18" fill="{fill}" stroke="{line}"/>
<rect x="122" y="160" width="76" height="52" rx="6" fill="{light}"/>""",
    "vase": """
<path d="M138 60 L182 60 L182 84 Q236 130 222 196 Q212 254 160 254 Q108 254 98 196
 Q84 130 138 84 Z" fill="{fill}" stroke="{line}"/>
<path d="M128 112 Q112 180 134 248 M160 96 L160 252 M192 112 Q208 180 186 248" fill="none"
 stroke="{line}" opacity="0.5"/>""",
    "coffee": """
<path d="M104 88 L110 64 L210 64 L216 88 Z" fill="{line}" stroke="{line}"/>
<path d="M104 88 L216 88 L228 256 L92 256 Z" fill="{fill}" stroke="{line}"/>
<ellipse cx="160" cy="174" rx="26" ry="36" fill="{light}"/>
<path d="M160 140 Q146 174 160 208" fill="none" stroke="{fill}"/>""",
    "tea": """
<rect x="108" y="92" width="104" height="162" rx="10" fill="{fill}" stroke="{line}"/>
<rect x="100" y="74" width="120" height="30" rx="8" fill="{line}" stroke="{line}"/>
<path d="M160 136 Q204 164 160 224 Q116 164 160 136 Z M160 144 L160 218" fill="{light}"
 stroke="{fill}"/>""",
    "giftcard": """
<rect x="60" y="96" width="200" height="128" rx="16" fill="{fill}" stroke="{line}"/>
<path d="M190 96 V224 M60 158 H260" stroke="{light}" stroke-width="14"/>
<path d="M190 158 Q160 116 152 146 Q158 166 190 158 Z M190 158 Q220 116 228 146
 Q222 166 190 158 Z" fill="{light}" stroke="{line}" stroke-width="3"/>""",
    "socks": """
<path d="M132 56 L184 56 L184 170 Q184 186 200 194 L236 212 Q258 224 248 244 Q238 262 212 252
 L144 226 Q128 218 130 198 Z" fill="{fill}" stroke="{line}"/>
<path d="M132 66 H184 M132 78 H184 M132 90 H184" fill="none" stroke="{line}"/>""",
    "belt": """
<circle cx="160" cy="160" r="78" fill="none" stroke="{line}" stroke-width="32"/>
<circle cx="160" cy="160" r="78" fill="none" stroke="{fill}" stroke-width="24"/>
<rect x="214" y="138" width="44" height="44" rx="6" fill="none" stroke="#c9a545"
 stroke-width="7"/>""",
}


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _mix(colour: str, other: str, share: float) -> str:
    """``colour`` with ``share`` (0 to 1) of ``other`` mixed in."""
    mixed = (round(a + (b - a) * share) for a, b in zip(_rgb(colour), _rgb(other), strict=True))
    return "#" + "".join(f"{part:02x}" for part in mixed)


def _lightness(colour: str) -> float:
    """Perceived lightness from 0 (black) to 1 (white)."""
    red, green, blue = _rgb(colour)
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def product_svg(kind: str, colour: str) -> str:
    """The picture of a product of ``kind`` in ``colour`` (a hex swatch), without words."""
    lightness = _lightness(colour)
    if lightness > 0.7:  # a white product needs a darker background to stand out
        top, bottom = "#e4ded3", "#d2cabc"
    else:
        top, bottom = _mix(colour, "#ffffff", 0.88), _mix(colour, "#ffffff", 0.74)
    # Outlines: darker than the colour, or lighter where the colour is nearly black.
    line = _mix(colour, "#ffffff", 0.4) if lightness < 0.2 else _mix(colour, "#000000", 0.38)
    shape = SHAPES[kind].format(fill=colour, line=line, light=LIGHT)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 320" width="640" height="640">'
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient></defs>"
        '<rect width="320" height="320" fill="url(#bg)"/>'
        '<ellipse cx="160" cy="266" rx="96" ry="8" fill="#000000" opacity="0.08"/>'
        '<g stroke-width="4" stroke-linejoin="round" stroke-linecap="round">'
        f"{shape}</g>"
        "</svg>\n"
    )


def image_name(slug: str, variant_key: str) -> str:
    return f"{IMAGE_DIR}/{slug}-{variant_key}.svg"


def save_image(name: str, svg: str) -> str:
    """Write ``svg`` to storage under exactly ``name``, replacing what is there.

    An unchanged file is left alone; a changed one is deleted first, because ``Storage.save``
    never overwrites but picks a new name. Returns the stored name.
    """
    content = svg.encode()
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            if stored.read() == content:
                return name
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(content))
