"""One language per output: Danish by default, English on request.

Every text almen shows a person goes through `_` (or `ngettext` where a count decides the form).
Messages are written in English in the code — the gettext message ids — and translated from the
catalog `dsl/locale/<language>/LC_MESSAGES/almen.po`; `python -m almen.dsl.i18n` compiles the
catalogs to the `.mo` files that are shipped (a test checks they are up to date and that every
message in the code has a translation). The language is chosen by `--lang`, else the environment
variable ALMEN_LANG, else Danish; `use(...)` sets it for a block (a request, a test).

Machine formats are not translated: JSON keys, statuses, dates in ISO form and exact numbers stay
as documented, so that embedding systems are unaffected by the language.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

LANGUAGES = ("da", "en")
DEFAULT = "da"
ENV = "ALMEN_LANG"
DOMAIN = "almen"
LOCALE_DIR = Path(__file__).with_name("locale")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar("almen_language", default=None)


def from_environment() -> str:
    chosen = os.environ.get(ENV, "").strip().lower()[:2]
    return chosen if chosen in LANGUAGES else DEFAULT


# ALMEN_LANG is read when almen is imported and again by set_language(None) (each command's
# start): a message is translated often, in a long explanation thousands of times.
_environment = from_environment()


def language() -> str:
    return _chosen.get() or _environment


def set_language(lang: str | None) -> None:
    """For the rest of this context (a command's run); None goes back to ALMEN_LANG or Danish."""
    global _environment
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if lang is None:
        _environment = from_environment()
    _chosen.set(lang)


@contextlib.contextmanager
def use(lang: str) -> Iterator[None]:
    token = _chosen.set(lang)
    try:
        yield
    finally:
        _chosen.reset(token)


@cache
def _catalog(lang: str) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()  # the messages are written in English
    return _gettext.translation(DOMAIN, LOCALE_DIR, [lang])


def _(message: str) -> str:
    """The message in the language of this output."""
    return _catalog(language()).gettext(message)


def N_(message: str) -> str:
    """Marks a message for the catalog where it is translated later, when shown (a table of words)."""
    return message


def ngettext(singular: str, plural: str, count: int) -> str:
    return _catalog(language()).ngettext(singular, plural, count)


_LOCALES = {"da": "da_DK", "en": "en_GB"}


def number(value: int | Fraction | Decimal, places: int | None = None) -> str:
    """A number as people of this language write it (23.750 and 22,5 in Danish), exact: with
    `places` it is rounded half up to that many decimals; without, a fraction with no finite
    decimal form is shown as a fraction (1/3)."""
    from babel.numbers import format_decimal  # Babel's locale data loads only when a number is shown

    exact = Fraction(value)
    if places is not None:
        shown = Decimal(exact.numerator) / Decimal(exact.denominator)
        shown = shown.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return str(format_decimal(shown, format=pattern, locale=_LOCALES[language()]))
    denominator = exact.denominator
    while denominator % 2 == 0:
        denominator //= 2
    while denominator % 5 == 0:
        denominator //= 5
    if denominator != 1:
        return f"{exact.numerator}/{exact.denominator}"
    shown = Decimal(exact.numerator) / Decimal(exact.denominator)
    return str(format_decimal(shown, locale=_LOCALES[language()], decimal_quantization=False))


def percent(value: int | Fraction | Decimal, places: int | None = None) -> str:
    """Percent points as a person reads them: 22,5 % (the value is in points already)."""
    return f"{number(value, places)} %"


def compile_catalogs() -> list[Path]:
    """Each almen.po → almen.mo beside it (needs Babel, the project's dev tool for catalogs)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogs():
        print(path)
