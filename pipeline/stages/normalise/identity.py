"""Checks on a story's identity fields (uri, version, agency) before it leaves normalise.

Identity travels as Kafka keys, dedupe state keys and primary keys in the store: a value a database cannot hold
(NUL, an index row larger than PostgreSQL's btree limit, an integer beyond int4) must be refused here, with a
reason, rather than fail a sink later.
"""

from __future__ import annotations

import re

from pipeline.stages.errors import StageError

#: Longest uri accepted (characters). Real wire uris are under 200; PostgreSQL's btree index rows stop at 2704
#: bytes, and a uri of 512 characters is at most 2048 bytes of UTF-8.
MAX_URI_CHARS = 512
#: Highest version accepted: the store keeps versions as 32-bit integers.
MAX_VERSION = 2**31 - 1
MAX_AGENCY_CHARS = 100
#: An identifier as agencies send them: an absolute URI (``urn:newsml:…``, ``http://…``) or an agency's own id
#: (``tag_reuters.com_2014_newsml_KBN0FL0NN``, ``20160512:RTZ:8883:0``, a UUID, a NewsML-G2 guid): any character but
#: whitespace, controls and the delimiters RFC 3986 excludes. A space would also break dedupe's bucket entries.
_URI = re.compile(r"[^\s\x00-\x1f\x7f-\x9f\"<>\\^`{|}\u2028\u2029]+")
#: Control and format characters (NUL, C0/C1, bidi overrides, zero-width) anywhere in an agency name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def check_identity(uri: str, version: int, agency: str, where: str = "story") -> None:
    """Raise ``invalid_identity`` when the uri, version or agency cannot identify a story."""
    if len(uri) > MAX_URI_CHARS:
        raise StageError("invalid_identity", f"{where}: the uri is {len(uri)} characters; the limit is {MAX_URI_CHARS}")
    if _URI.fullmatch(uri) is None:
        shown = uri[:80].encode("unicode_escape").decode("ascii")
        raise StageError(
            "invalid_identity",
            f"{where}: the uri {shown!r} holds spaces, control characters or one of \"<>\\^`{{|}}",
        )
    if not 1 <= version <= MAX_VERSION:
        raise StageError("invalid_identity", f"{where}: version {version} is outside 1..{MAX_VERSION}")
    if not agency or len(agency) > MAX_AGENCY_CHARS or _CONTROL.search(agency) or agency != agency.strip():
        shown = agency[:80].encode("unicode_escape").decode("ascii")
        raise StageError(
            "invalid_identity",
            f"{where}: the agency {shown!r} is empty, longer than {MAX_AGENCY_CHARS} characters, or holds control "
            "characters or surrounding spaces",
        )
