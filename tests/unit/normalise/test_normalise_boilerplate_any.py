"""The combined boilerplate pattern matches exactly the paragraphs one of the separate patterns matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.normalise.wiretext import _BOILERPLATE, _BOILERPLATE_ANY

_PIECES = st.sampled_from(
    ["view more articles", "More stories from", "divider", "Share", " this", " article", ":", "Related", " ", "x",
     "read more", "Copyright", "©", "(c) 2024", "All rights reserved", ".", "follow us on twitter", "subscribe",
     "(end)", "###", "---", "(Reporting by", " Jane Doe", ")", "\n", "é", "recommended", "more on this"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_combined_pattern_equals_any_pattern(paragraph: str) -> None:
    assert (_BOILERPLATE_ANY.match(paragraph) is not None) == any(p.match(paragraph) for p in _BOILERPLATE)
