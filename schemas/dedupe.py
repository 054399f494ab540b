"""Internal dedupe topics: near-duplicate probes scattered by bucket key, answers gathered by uri.

These travel only between the pipeline's own dedupe agents; they are exported like every other contract so the
topics can be read and checked with any tool.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class NearProbeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ref: str = Field(description="'uri@version' of the story")
    cluster: str = Field(description="Cluster id the story has so far")
    simhash: int = Field(ge=0, le=2**64 - 1)
    second: int = Field(ge=0, description="Story time in seconds since 2020-01-01 UTC")
    seen: int = Field(
        ge=0,
        lt=2**48,
        description="When dedupe first handled the story, in 1/65536 s since 2020-01-01 UTC: copies link to the "
        "one handled first",
    )
    ch_tag: str = Field(description="Short tag of the content hash")
    store: list[str] = Field(description="Bucket keys the story is stored under")
    probe: list[str] = Field(description="Bucket keys it looks in")
    index_only: bool = False


class NearRequest(BaseModel):
    """`wire.dedupe.near`, keyed by bucket key: look for earlier copies (probe) or re-point an entry (relink)."""

    model_config = ConfigDict(extra="forbid")

    t: Literal["probe", "relink"]
    uri: str
    probe: NearProbeBody | None = Field(None, description="With t='probe'")
    ref: str | None = Field(None, description="With t='relink': the stored story")
    cluster: str | None = Field(None, description="With t='relink': its new cluster")


class NearAnswer(BaseModel):
    """`wire.dedupe.answers`, keyed by uri: what one bucket holds that the story may repeat."""

    model_config = ConfigDict(extra="forbid")

    ref: str
    key: str = Field(description="The bucket key that answers")
    candidates: list[tuple[int, int, int, str, str, bool]] = Field(
        description="(distance, second, seen, ref, cluster, exact) of each story in the bucket within the threshold"
    )
