"""China's traction-battery code (GB/T 34014-2017, 汽车动力蓄电池编码规则): its 24 characters
read as the standard's segments, each checked against the characters the standard allows, so a
wrong code is refused naming the segment at fault (docs/specs/battery-code.md).

The first 14 characters are the design information, shared by every unit of one battery type;
the last 10 (production date and serial number) tell the units apart. A product in the
catalogue is a battery type, so it records one unit's code and is found by any unit's code
through the design part (`design_part`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from footprint_platform.errors import InvalidInput

LENGTH = 24
DESIGN_LENGTH = 14

# Characters the standard's date tables use: digits 1-9, then letters without I, O, Q and Z
# (31 values: a day of the month, or a year in its cycle); months 1-9 then A, B, C.
_DATE_CHARS = "123456789ABCDEFGHJKLMNPRSTUVWXY"
_MONTH_CHARS = "123456789ABC"

# Product type (Table 2 of the standard): pack, module, cell — and our category for each.
PRODUCT_TYPES = {"P": "battery_pack", "M": "battery_module", "C": "battery_cell"}

# Battery type (the standard's table of battery types).
BATTERY_TYPES = {
    "A": "nickel-metal hydride",
    "B": "lithium iron phosphate",
    "C": "lithium manganese oxide",
    "D": "lithium cobalt oxide",
    "E": "ternary (nickel-cobalt-manganese or -aluminium)",
    "F": "supercapacitor",
    "G": "lithium titanate",
    "Z": "other",
}

# Our chemistries whose battery type the standard names without doubt; others are not checked.
CHEMISTRY_TYPES = {"LFP": "B", "NMC811": "E", "NMC622": "E", "NMC532": "E", "NCA": "E"}


@dataclass(frozen=True)
class Segment:
    key: str
    start: int  # 0-based position in the code
    length: int
    pattern: str  # a regular-expression character class or run


SEGMENTS = (
    Segment("manufacturer", 0, 3, "[A-Z0-9]{3}"),
    Segment("product_type", 3, 1, "[PMC]"),
    Segment("battery_type", 4, 1, f"[{''.join(BATTERY_TYPES)}]"),
    Segment("specification", 5, 2, "[A-Z0-9]{2}"),
    Segment("traceability", 7, 7, "[A-Z0-9]{7}"),
    Segment("production_year", 14, 1, f"[{_DATE_CHARS}]"),
    Segment("production_month", 15, 1, f"[{_MONTH_CHARS}]"),
    Segment("production_day", 16, 1, f"[{_DATE_CHARS}]"),
    Segment("serial_number", 17, 7, "[0-9]{7}"),
)


def segment_labels() -> dict[str, str]:
    """Each segment's name in the reader's language."""
    return {
        "manufacturer": str(_l("manufacturer code")),
        "product_type": str(_l("product type code")),
        "battery_type": str(_l("battery type code")),
        "specification": str(_l("specification code")),
        "traceability": str(_l("traceability information code")),
        "production_year": str(_l("production year code")),
        "production_month": str(_l("production month code")),
        "production_day": str(_l("production day code")),
        "serial_number": str(_l("serial number")),
    }


def _rules() -> dict[str, str]:
    return {
        "manufacturer": str(_l("3 capital letters or digits")),
        "product_type": str(_l("P (pack), M (module) or C (cell)")),
        "battery_type": str(_l("one of A, B, C, D, E, F, G or Z")),
        "specification": str(_l("2 capital letters or digits")),
        "traceability": str(_l("7 capital letters or digits")),
        "production_year": str(_l("1-9 or a capital letter other than I, O, Q and Z")),
        "production_month": str(_l("1-9, A, B or C")),
        "production_day": str(_l("1-9 or a capital letter other than I, O, Q and Z")),
        "serial_number": str(_l("7 digits")),
    }


@dataclass(frozen=True)
class BatteryCode:
    code: str

    def part(self, key: str) -> str:
        seg = next(s for s in SEGMENTS if s.key == key)
        return self.code[seg.start : seg.start + seg.length]

    @property
    def design_part(self) -> str:
        return self.code[:DESIGN_LENGTH]

    @property
    def category(self) -> str:
        return PRODUCT_TYPES[self.part("product_type")]

    @property
    def month(self) -> int:
        return _MONTH_CHARS.index(self.part("production_month")) + 1

    @property
    def day(self) -> int:
        return _DATE_CHARS.index(self.part("production_day")) + 1


def normalize(text: str) -> str:
    """As printed on labels the code may be spaced or lower-cased; it is stored without."""
    return re.sub(r"[\s-]", "", text).upper()


def problems(text: str) -> list[str]:
    """What is wrong with a code, one sentence per wrong segment (empty when it is right)."""
    code = normalize(text)
    if len(code) != LENGTH:
        return [
            str(
                _l(
                    "A GB/T 34014 battery code has %(n)d characters; this one has %(got)d.",
                    n=LENGTH,
                    got=len(code),
                )
            )
        ]
    labels, rules = segment_labels(), _rules()
    found = []
    for seg in SEGMENTS:
        value = code[seg.start : seg.start + seg.length]
        if not re.fullmatch(seg.pattern, value):
            found.append(
                str(
                    _l(
                        "Characters %(first)d-%(last)d (%(segment)s) are “%(value)s”: "
                        "expected %(rule)s.",
                        first=seg.start + 1,
                        last=seg.start + seg.length,
                        segment=labels[seg.key],
                        value=value,
                        rule=rules[seg.key],
                    )
                )
            )
    return found


def parse(text: str, field: str = "battery_code") -> BatteryCode:
    """The code, normalized; InvalidInput naming every wrong segment otherwise."""
    found = problems(text)
    if found:
        raise InvalidInput(found[0], {field: found})
    return BatteryCode(normalize(text))


def mismatches(code: BatteryCode, category: str, chemistry: str | None) -> list[str]:
    """Where the code contradicts the product it is recorded on: a pack's code must say pack,
    an LFP battery's must say lithium iron phosphate."""
    labels = segment_labels()
    found = []
    if code.category != category:
        found.append(
            str(
                _l(
                    "The %(segment)s “%(value)s” does not fit this product's category.",
                    segment=labels["product_type"],
                    value=code.part("product_type"),
                )
            )
        )
    expected = CHEMISTRY_TYPES.get(chemistry or "")
    if expected and code.part("battery_type") != expected:
        found.append(
            str(
                _l(
                    "The %(segment)s “%(value)s” does not fit the chemistry %(chemistry)s "
                    "(expected %(expected)s).",
                    segment=labels["battery_type"],
                    value=code.part("battery_type"),
                    chemistry=chemistry,
                    expected=expected,
                )
            )
        )
    return found


def looks_like_code(text: str) -> bool:
    """A search term that is a whole code: then any unit of the same battery type matches."""
    return not problems(text)
