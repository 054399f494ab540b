"""``json_depth`` with its bracket-count shortcut decides as the full scan does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.errors import StageError
from pipeline.stages.normalise.safety import json_depth


def _too_deep(text: str, max_depth: int) -> bool:
    """Character by character: brackets inside strings do not count; a string left open runs to the end."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["[", "]", "{", "}", '"', '"[[[{"', "\\", "1", ","]), max_size=30).map("".join),
       st.integers(min_value=1, max_value=8))  # fmt: skip
def test_same_verdict_as_the_full_scan(text: str, max_depth: int) -> None:
    if _too_deep(text, max_depth):
        with pytest.raises(StageError) as err:
            json_depth(text, max_depth)
        assert err.value.reason == "too_deep"
    else:
        json_depth(text, max_depth)
