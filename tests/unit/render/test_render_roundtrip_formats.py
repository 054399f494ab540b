"""Every format's story renders to ninjs and normalises back to the same content hash (inputs written for the
normalise tests, in the shapes agencies send)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from pipeline.render.ninjs import to_ninjs
from pipeline.stages.normalise import normalise
from schemas import DedupeInfo, EnrichedStory, RawSubmission
from tests.unit.normalise.test_normalise_structure import G2, NITF, XHTML
from tests.unit.normalise.test_normalise_wire_framings import ANPA, ATS, DPA

NOW = datetime(2026, 1, 2, tzinfo=UTC)
DOCS = {
    "iptc7901-dpa": (DPA.encode("latin-1"), "dpa"),
    "iptc7901-ats": (ATS.encode("latin-1"), "ATS"),
    "anpa1312-ap": (ANPA.encode("latin-1"), "AP"),
    "g2-xhtml": (G2.format(content=XHTML, headline="<headline>Title</headline>", dateline="").encode(), "dpa"),
    "nitf-byttl": (NITF.format(headline="CORRECTED-Markets rise").encode(), "AP"),
}


@pytest.mark.parametrize("version", ["2.2", "3.1"])
@pytest.mark.parametrize("name", sorted(DOCS))
def test_rendering_normalises_back_to_the_same_hash(name: str, version: str) -> None:
    payload, agency = DOCS[name]
    story = normalise(RawSubmission(submission_id="s", agency=agency, received_at=NOW, payload=payload))
    enriched = EnrichedStory(
        **story.model_dump(),
        dedupe=DedupeInfo(verdict="new", cluster_id="c-1"),
        enriched_at=NOW,
    )
    doc = to_ninjs(enriched, version)  # type: ignore[arg-type]
    again = normalise(RawSubmission(submission_id="s2", agency=agency, received_at=NOW, payload=orjson.dumps(doc)))
    assert (again.headline, again.body) == (story.headline, story.body)
    assert again.content_hash == story.content_hash
    assert again.byline == story.byline


@pytest.mark.parametrize("version", ["2.2", "3.1"])
def test_structured_body_renders_valid_and_comes_back_with_its_blocks(version: str) -> None:
    from pipeline.render.ninjs import validate_ninjs
    from tests.unit.normalise.test_normalise_blocks import NITF_STRUCTURED

    story = normalise(RawSubmission(submission_id="s", agency="AP", received_at=NOW, payload=NITF_STRUCTURED.encode()))
    assert story.blocks is not None
    enriched = EnrichedStory(**story.model_dump(), dedupe=DedupeInfo(verdict="new", cluster_id="c-1"), enriched_at=NOW)
    doc = to_ninjs(enriched, version)  # type: ignore[arg-type]
    assert validate_ninjs(doc, version) == []  # type: ignore[arg-type]
    html_body = next(b["value"] for b in doc["bodies"] if "html" in str(b.get("contentType", b.get("contenttype"))))
    assert "<h2>Oil and gold</h2>" in html_body and "<td>35,000</td>" in html_body
    assert '<figcaption>Traders at work. <span class="credit">Jane Roe/AP</span></figcaption>' in html_body
    again = normalise(RawSubmission(submission_id="s2", agency="AP", received_at=NOW, payload=orjson.dumps(doc)))
    assert again.content_hash == story.content_hash
    assert again.blocks == story.blocks
