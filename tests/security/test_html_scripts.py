"""Script elements in HTML submissions: their code is never story text, and a broken one never hides the story."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.stages.normalise import NormaliseOptions, normalise
from schemas import RawSubmission

STORY = b"<p>First paragraph of the story, long enough to be story text on any page.</p>"
REST = b"<p>Second paragraph, after the broken script tag, which must still be part of the story.</p>"


def _story(html: bytes):  # type: ignore[no-untyped-def]
    raw = RawSubmission(submission_id="s-1", agency="AAA", format_hint="html",  # type: ignore[call-arg]
                        received_at=datetime(2026, 12, 7, tzinfo=UTC), payload=html)
    return normalise(raw, NormaliseOptions())


def test_script_inside_the_headline_is_not_headline_text() -> None:
    page = b"<html><body><h1>Real headline<script>alert('owned')</script></h1>" + STORY + REST + b"</body></html>"
    story = _story(page)
    assert story.headline == "Real headline"
    assert not any("alert" in p for p in story.body)


def test_an_unclosed_script_does_not_drop_the_rest_of_the_body() -> None:
    page = b"<html><body><h1>Real headline</h1>" + STORY + b"<script>var a = 1;\n" + REST + b"</body></html>"
    story = _story(page)
    assert any(p.startswith("Second paragraph") for p in story.body), story.body
    assert not any("var a" in p for p in story.body)


def test_an_unclosed_script_before_a_closed_one() -> None:
    page = (b"<html><body><h1>Real headline</h1>" + STORY + b"<script>var a = 1;\n" + REST
            + b"<script>var b = 2;</script></body></html>")
    story = _story(page)
    assert any(p.startswith("Second paragraph") for p in story.body), story.body
    assert not any("var " in p for p in story.body)


def test_closing_scripts_is_linear_on_hostile_shapes() -> None:
    """A megabyte of ``<script`` without ``>``, or of unclosed scripts each followed by markup, is one pass."""
    import time

    from pipeline.stages.normalise.formats.html import _close_unclosed_scripts

    for shape in ("<script", "<script>x<p>y</p>"):
        page = shape * (1_000_000 // len(shape))
        start = time.process_time()
        _close_unclosed_scripts(page)
        assert time.process_time() - start < 1.0, shape
