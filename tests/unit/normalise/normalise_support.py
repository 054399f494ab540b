"""Helpers for the normalise tests (shared paths come from ``tests.paths``)."""

from datetime import UTC, datetime

from schemas import RawSubmission
from tests.paths import SAMPLES, SEED

__all__ = ["RECEIVED", "SAMPLES", "SEED", "make_raw"]

RECEIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def make_raw(payload: bytes | str, agency: str = "TCA", **kw: object) -> RawSubmission:
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return RawSubmission(
        submission_id=kw.pop("submission_id", "sub-1"), agency=agency, received_at=RECEIVED, payload=data, **kw
    )  # type: ignore[arg-type]
