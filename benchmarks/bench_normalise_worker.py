"""Times ``normalise_all`` for ``benchmarks.bench_normalise`` in a process of its own, on any source tree.

Run as a script (``python bench_normalise_worker.py TREE``): the normalise stage is imported from ``TREE`` (this
checkout, or an extracted copy of another commit, so two versions can be timed side by side in the same run). The
script imports nothing else of the repository, so it runs unchanged against older trees.

Protocol, one JSON document a line: the first line on stdin is the job
``{"docs": [{"key", "agency", "payload_hex"}], "agencies": {...}, "seconds": s}``; every further line is a list of
keys, answered on stdout with ``{key: µs per call}`` (CPU time of this process, ``time.process_time``), each
document timed for about ``s`` seconds (after one untimed call when the job is read). A rejected document answers
``null``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

RECEIVED = datetime(2026, 1, 1, tzinfo=UTC)


def per_call_us(fn: Callable[[], object], seconds: float) -> float:
    """CPU µs per call of ``fn``, over batches that double until ``seconds`` of CPU time have passed."""
    n, batch = 0, 1
    start = time.process_time()
    while True:
        for _ in range(batch):
            fn()
        n += batch
        elapsed = time.process_time() - start
        if elapsed >= seconds:
            return 1e6 * elapsed / n
        batch = min(batch * 2, 1000)


def main(tree: str) -> int:
    sys.path.insert(0, tree)
    from pipeline.stages.errors import StageError
    from pipeline.stages.normalise import NormaliseOptions, normalise_all, profiles_from_mapping
    from schemas import RawSubmission

    job: dict[str, Any] = json.loads(sys.stdin.readline())
    options = NormaliseOptions(agencies=profiles_from_mapping(job["agencies"]))
    calls: dict[str, Callable[[], object] | None] = {}
    for doc in job["docs"]:
        raw = RawSubmission(
            submission_id="bench", agency=doc["agency"], received_at=RECEIVED, payload=bytes.fromhex(doc["payload_hex"])
        )

        def call(raw: RawSubmission = raw) -> object:
            return normalise_all(raw, options)

        try:
            call()  # warm-up: loads the language model and fills caches outside the timing
        except StageError:
            calls[doc["key"]] = None
            continue
        calls[doc["key"]] = call
    for line in sys.stdin:
        keys: list[str] = json.loads(line)
        result = {k: None if (fn := calls[k]) is None else per_call_us(fn, job["seconds"]) for k in keys}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
