"""Where the repository and the read-only shared reference material are."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
SEED = SHARED / "fixtures" / "seed-story-tca.txt"
SAMPLES = SHARED / "reference" / "samples"
NINJS_SCHEMAS = SHARED / "reference" / "ninjs"
