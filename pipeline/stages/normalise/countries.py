"""ISO 3166 code lookups the formats need (alpha-3 → alpha-2), from pycountry's ISO data."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=512)
def alpha2(code: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code for an alpha-2 or alpha-3 code, or None when it is not one."""
    if not code:
        return None
    code = code.strip().upper()
    if code == "XK" or code == "XKX":  # Kosovo: user-assigned, used by agencies
        return "XK"
    if len(code) == 2:
        return code if pycountry.countries.get(alpha_2=code) else None
    if len(code) == 3:
        c = pycountry.countries.get(alpha_3=code)
        return c.alpha_2 if c else None
    return None
