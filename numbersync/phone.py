"""Phone number normalisation: any form a person writes, to the E.164 form Close stores."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

E164 = re.compile(r"^\+[1-9]\d{1,14}$")


# The loader normalises a forward_to, then the policy classifies it and a plan displays it: the
# same text (written in E.164) read again. Bounded: a reading is far larger than its text.
@lru_cache(maxsize=4_096)
def parse(text: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers' reading of `text` (shared: never change it), None when it cannot read it."""
    try:
        return phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None


@lru_cache(maxsize=65_536)  # the loader and the diff both normalise the same numbers
def to_e164(text: str) -> str | None:
    """`+1 (650) 333-4444` -> `+16503334444`; None when it is not a possible number.

    Numbers must carry their country code: a bare national number is ambiguous across countries.
    """
    parsed = parse(text)
    if parsed is None or parsed.extension or not phonenumbers.is_possible_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def display(e164: str) -> str:
    """`+16503334444` -> `+1 650-333-4444`, the way Close shows numbers; anything but E.164
    unchanged, so that text a server sends as a number (`+1650ABCDEFG`, which phonenumbers reads
    as a vanity number) is shown as it is, never as another number."""
    if not E164.fullmatch(e164):
        return e164
    parsed = parse(e164)
    if parsed is None:
        return e164
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
