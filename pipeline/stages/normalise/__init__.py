"""The normalise stage: any wire format → one canonical ``schemas.Story``, or a ``StageError``.

Public API::

    normalise_all(raw, options) -> list[Story]   # a NewsML-G2 newsMessage may hold several stories
    normalise(raw, options) -> Story             # exactly one story, else StageError
    content_hash(headline, body) -> str          # the one definition of Story.content_hash
    NormaliseOptions, AgencyProfile              # limits and per-agency defaults

Steps: size limit → charset decoding → format choice (hint, agency default, content type, sniffing)
→ the format's parser (``formats/``) → shared finishing (``finish.py``). Every failure is a
``StageError`` with a ``schemas.rejection.ReasonCode``. See ``docs/formats.md``.
"""

from __future__ import annotations

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.charset import decode
from pipeline.stages.normalise.draft import ParseContext
from pipeline.stages.normalise.finish import finish, story_uri
from pipeline.stages.normalise.formats import parser_for
from pipeline.stages.normalise.hashing import content_hash
from pipeline.stages.normalise.options import DEFAULT_OPTIONS, AgencyProfile, NormaliseOptions, profiles_from_mapping
from pipeline.stages.normalise.safety import check_size
from pipeline.stages.normalise.sniff import choose_format
from schemas.raw import RawSubmission
from schemas.story import Story

__all__ = [
    "AgencyProfile",
    "NormaliseOptions",
    "StageError",
    "content_hash",
    "normalise",
    "normalise_all",
    "profiles_from_mapping",
    "story_uri",
]


def normalise_all(raw: RawSubmission, options: NormaliseOptions | None = None) -> list[Story]:
    """Every story in the submission (one for most formats; one per text newsItem in a G2 newsMessage)."""
    options = options or DEFAULT_OPTIONS
    check_size(raw.payload, options.max_bytes)
    profile = options.profile(raw.agency)
    text, _codec = decode(raw.payload, raw.content_type, profile.charset)
    fmt = choose_format(raw.format_hint, profile.format, raw.content_type, text)
    ctx = ParseContext(
        agency=raw.agency,
        timezone=options.timezone_for(raw.agency),
        max_depth=options.max_depth,
        content_type=raw.content_type,
    )
    drafts = parser_for(fmt)(text, ctx)
    if not drafts:
        raise StageError("empty_body", f"the {fmt} document holds no text story")
    return [finish(d, raw, options) for d in drafts]


def normalise(raw: RawSubmission, options: NormaliseOptions | None = None) -> Story:
    """The one story in the submission; ``schema_violation`` when it holds several."""
    stories = normalise_all(raw, options)
    if len(stories) != 1:
        raise StageError(
            "schema_violation", f"expected one story, the submission holds {len(stories)} (use normalise_all)"
        )
    return stories[0]
