"""How many SMS segments a text takes (issue 19): GSM-7 or UCS-2, as the networks count.

An SMS carries 140 bytes. Text made only of the GSM 03.38 alphabet is packed 7 bits a
character: 160 characters in one message, 153 per segment once it is split (the rest holds
the header that joins the parts). A single character outside it (any Cyrillic letter)
switches the whole message to UCS-2, two bytes a UTF-16 unit: 70 in one message, 67 per
segment. Characters of the GSM extension table (``{ } [ ] ~ \\ | ^ €``) take two septets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The GSM 03.38 basic alphabet (one septet each).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table, reached by an escape septet (two septets each).
GSM_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    """The length of an SMS text: its encoding, units counted, segments and their size."""

    #: ``"GSM-7"`` or ``"UCS-2"``.
    encoding: str
    #: Septets (GSM-7) or UTF-16 units (UCS-2) the text takes.
    units: int
    #: How many messages the network bills (0 for an empty text).
    segments: int
    #: Units per segment at this length: 160/153 or 70/67.
    per_segment: int

    @property
    def left(self) -> int:
        """Units still free in the last segment before another one starts."""
        return self.segments * self.per_segment - self.units if self.segments else self.per_segment


def is_gsm7(text: str) -> bool:
    """Whether ``text`` fits the GSM 03.38 alphabet (with its extension table)."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def sms_length(text: str) -> SmsLength:
    """The segments ``text`` takes: ``sms_length("Привет")`` is 1 UCS-2 segment of 70."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, part, encoding = GSM_SINGLE, GSM_PART, "GSM-7"
    else:
        # UTF-16 code units: a character beyond the BMP (an emoji) takes two.
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = UCS2_SINGLE, UCS2_PART, "UCS-2"
    if units == 0:
        return SmsLength(encoding, 0, 0, single)
    if units <= single:
        return SmsLength(encoding, units, 1, single)
    return SmsLength(encoding, units, math.ceil(units / part), part)
