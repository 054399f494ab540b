"""Language detection for stories whose format names no language (py3langid, its packaged model)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

#: Below this normalised probability the stage leaves ``language`` unset rather than guess.
MIN_CONFIDENCE = 0.9
#: Characters of text read for detection (the headline and the first paragraphs are enough).
SAMPLE_CHARS = 600
MIN_CHARS = 40


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def detect_language(headline: str, body: Sequence[str]) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is short or the model unsure."""
    sample = " ".join([headline, *body])[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return None
    code, prob = _identifier().classify(sample)
    return str(code) if prob >= MIN_CONFIDENCE else None
