"""Amounts in words for invoices and acts: "Одна тысяча двести рублей 50 копеек".

Russian accounting documents write the whole part of a sum in words, capitalised, and the
minor units as two digits. :func:`amount_in_words` does that for Russian and English with
``num2words`` for the numbers and its own plural rules for the currency names (``num2words``
spells the kopecks out too, which is not the custom).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from num2words import num2words

#: currency -> locale -> (major forms, minor forms); Russian forms are for 1, 2-4, 5+.
CURRENCIES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "RUB": {
        "ru": (("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
        "en": (("ruble", "rubles"), ("kopeck", "kopecks")),
    },
    "USD": {
        "ru": (("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
        "en": (("dollar", "dollars"), ("cent", "cents")),
    },
    "EUR": {
        "ru": (("евро", "евро", "евро"), ("цент", "цента", "центов")),
        "en": (("euro", "euros"), ("cent", "cents")),
    },
}


def russian_plural(n: int, forms: tuple[str, ...]) -> str:
    """The Russian form of a noun after ``n``: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def _amount(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int | float):
        return Decimal(str(value))
    text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    text = "".join(ch for ch in text if ch.isdigit() or ch in ".-")
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def amount_in_words(value: Any, currency: str = "RUB", locale: str = "ru") -> str:
    """``value`` as words with its currency: ``"Одна тысяча двести рублей 50 копеек"``.

    ``value`` is a number (use the raw value: ``amount_in_words(raw.total)``); a formatted
    text such as ``"1 200,50 ₽"`` is read too. Empty values give an empty string. Unknown
    currencies are written by their code; unknown locales fall back to English.
    """
    amount = _amount(value)
    if amount is None:
        return ""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    negative = amount < 0
    amount = abs(amount)
    whole = int(amount)
    cents = int((amount - whole) * 100)
    lang = "ru" if locale.startswith("ru") else "en"
    names = CURRENCIES.get(currency.upper(), {}).get(lang)
    words = num2words(whole, lang=lang).replace(",", "")
    if names is None:
        text = f"{words} {currency} {cents:02d}"
    elif lang == "ru":
        major, minor = names
        text = f"{words} {russian_plural(whole, major)} {cents:02d} {russian_plural(cents, minor)}"
    else:
        major, minor = names
        text = (
            f"{words} {major[0] if whole == 1 else major[1]} "
            f"{cents:02d} {minor[0] if cents == 1 else minor[1]}"
        )
    if negative:
        text = ("минус " if lang == "ru" else "minus ") + text
    return text[:1].upper() + text[1:]


class AmountInWords:
    """The ``amount_in_words`` helper of a template, defaulting to the document's locale."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, value: Any, currency: str = "RUB", locale: str | None = None) -> str:
        return amount_in_words(value, currency, locale or self.locale)
