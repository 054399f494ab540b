"""Small helpers over namespace-free ElementTree elements (see ``safety.parse_xml``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.cleaning import clean_inline


def text_of(element: ET.Element | None) -> str | None:
    """All text inside ``element``, whitespace-folded; None when absent or blank."""
    if element is None:
        return None
    return clean_inline("".join(element.itertext())) or None


def attr(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    value = element.get(name)
    return value.strip() or None if value is not None else None


def to_int(value: str | None, where: str, low: int = 1, high: int | None = None) -> int | None:
    """An integer field; None when absent. Out-of-range or non-numeric values are schema violations."""
    if value is None or not value.strip():
        return None
    try:
        n = int(value.strip())
    except ValueError as exc:
        raise StageError("schema_violation", f"{where}: {value[:40]!r} is not an integer") from exc
    if n < low or (high is not None and n > high):
        raise StageError("schema_violation", f"{where}: {n} is outside {low}..{high if high is not None else ''}")
    return n


def urgency(value: str | None, where: str) -> int | None:
    """IPTC urgency 1..9; 0 (\"none\" in some feeds) is taken as absent."""
    n = to_int(value, where, low=0, high=9)
    return n or None


_IPTC_SUBJECT = re.compile(r"^\d{8}$")


def subject_code(code: str, scheme: str | None, agency: str) -> tuple[str, str]:
    """(qualified code, scheme) of a subject code from a NITF ``tobject.subject`` or NewsML 1.2 ``SubjectCode``.

    An IPTC subject code (eight digits, under an IPTC scheme or none) is ``subj:<code>``; any other code is the
    agency's own (EFE ``F01001000``) and stays under the agency's scheme, ``<scheme or agency>:<code>``, so it is
    never published as an IPTC NewsCodes URI.
    """
    code = code.strip()
    if _IPTC_SUBJECT.match(code) and (not scheme or "iptc" in scheme.lower()):
        return f"subj:{code}", "subj"
    own = quote((scheme if scheme and "iptc" not in scheme.lower() else agency).strip().lower(), safe="-_.")
    return f"{own}:{code}", own
