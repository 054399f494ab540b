"""Normalise takes time linear in the input on adversarial shapes, and a CPU budget stops what is still slow.

Each shape is a short unit repeated to 10 KB, 100 KB and 1 MB and run through the pure normalise stage. Times are
process CPU time; a rejection (``StageError``) counts as finishing. Linear growth is asserted as: 1 MB costs at
most 25 times what 100 KB costs (linear is 10; quadratic is 100), with a 20 ms floor for shapes too fast to time.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.app.budget import CpuBudgetExceeded, cpu_budget, normalise_within_budget
from pipeline.stages.errors import StageError
from pipeline.stages.normalise import NormaliseOptions, normalise_all
from pipeline.stages.normalise.charset import decode
from pipeline.stages.process import Source
from schemas import RawSubmission

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SIZES = (10_000, 100_000, 1_000_000)
OPTIONS = NormaliseOptions(max_bytes=5_000_000)
FLOOR = 0.02


def submission(payload: bytes, content_type: str | None = "text/plain", hint: str = "auto") -> RawSubmission:
    return RawSubmission(submission_id="s-1", agency="TCA", format_hint=hint,  # type: ignore[arg-type]
                         content_type=content_type, received_at=NOW, payload=payload)


def cpu_seconds(raw: RawSubmission) -> float:
    """CPU time of this thread in the stage (other threads of the test process, if any, are not counted)."""
    t0 = time.thread_time()
    try:
        normalise_all(raw, OPTIONS)
    except StageError:
        pass
    return time.thread_time() - t0


def fill(head: str, unit: str, tail: str, size: int) -> bytes:
    body = unit * max(1, (size - len(head) - len(tail)) // max(1, len(unit)))
    return (head + body + tail).encode("utf-8")


#: (name, head, unit, tail, content type, format hint): the shapes that were quadratic, and their kin.
SHAPES = [
    ("long unpunctuated lines", "Headline\n\n", "word " * 30 + "more words here\n", "", "text/plain", "text"),
    ("desk code near miss", "Headline\n\nA first paragraph.\n\n", "ab/", "ab1", "text/plain", "text"),
    ("unterminated JSON string", '{"headline": "x", "body_text": "', '\\"[{', "", "application/json", "ninjs"),
    ("nested brackets", '{"a": ', "[", "", "application/json", "ninjs"),
    ("separator run", "Headline\n\n", "\n", "end", "text/plain", "text"),
    ("space run", "Headline\n\nBody ", " ", "end.", "text/plain", "text"),
    ("slash run", "Headline\n\n", "/", "x", "text/plain", "text"),
    ("XML nesting", "<nitf><body>", "<p>", "", "application/xml", "auto"),
]


def growth(head: str, unit: str, tail: str, ctype: str, hint: str) -> tuple[list[float], float]:
    # The better of two runs per size: the machine is shared, and one run can be slowed by others.
    times = [min(cpu_seconds(raw), cpu_seconds(raw))
             for raw in (submission(fill(head, unit, tail, n), ctype, hint) for n in SIZES)]
    return times, max(times[2], FLOOR) / max(times[1], FLOOR)


@pytest.mark.parametrize(("name", "head", "unit", "tail", "ctype", "hint"), SHAPES, ids=[s[0] for s in SHAPES])
def test_known_shapes_grow_linearly_and_finish_within_a_second_at_1_mb(
    name: str, head: str, unit: str, tail: str, ctype: str, hint: str
) -> None:
    times, ratio = growth(head, unit, tail, ctype, hint)
    assert times[2] < 1.0, f"{name}: 1 MB took {times[2]:.2f} s of CPU ({times})"
    assert ratio < 25, f"{name}: 100 KB → 1 MB grew {ratio:.0f}× ({times})"


_UNITS = st.text(alphabet=st.sampled_from(list("ab/-.,;:!? \n\t\"\\[]{}<>()")), min_size=1, max_size=6)


# Timings are not shrunk or explained: Hypothesis traces the code it explains, which multiplies its CPU time.
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))
@given(unit=_UNITS, shape=st.sampled_from([("Headline\n\n", "text/plain", "text"),
                                           ('{"headline": "h", "body_text": "', "application/json", "ninjs"),
                                           ("<nitf><body><p>", "application/xml", "auto")]))
def test_generated_shapes_grow_linearly(unit: str, shape: tuple[str, str, str]) -> None:
    head, ctype, hint = shape
    times, ratio = growth(head, unit, "1", ctype, hint)
    assert times[2] < 1.0, f"{unit!r} after {head!r}: 1 MB took {times[2]:.2f} s ({times})"
    assert ratio < 25, f"{unit!r} after {head!r}: 100 KB → 1 MB grew {ratio:.0f}× ({times})"


def test_utf7_and_other_codecs_off_the_list_are_refused() -> None:
    payload = b'+AHsAIg-headline+ACI-: +ACI-x+ACIAfQ-'  # '{"headline": "x"}' in UTF-7
    for charset in ("utf-7", "unicode_escape", "cp037", "punycode"):
        with pytest.raises(StageError) as err:
            decode(payload, f"application/json; charset={charset}")
        assert err.value.reason == "undecodable", charset
    assert decode(b"caf\xe9", "text/plain; charset=windows-1252")[0] == "café"


def test_the_cpu_budget_stops_a_backtracking_regular_expression() -> None:
    """The timer's signal interrupts the regex engine itself: a pattern that would backtrack for hours stops."""
    slow = re.compile(r"^(a|a)*b$")
    assert threading.current_thread() is threading.main_thread()
    t0 = time.process_time()
    with pytest.raises(CpuBudgetExceeded), cpu_budget(0.2):
        slow.match("a" * 40)
    assert time.process_time() - t0 < 1.0
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)  # disarmed after the block


def test_the_budget_counts_the_cpu_of_the_message_s_thread_only() -> None:
    """The process timer also counts other threads' CPU, so it can fire before this thread used its budget; the
    signal is then re-armed for the rest, and the budget still stops the thread once it is really used up."""
    with cpu_budget(0.5):
        signal.raise_signal(signal.SIGPROF)  # as if other threads had used the process's 0.5 s meanwhile
        left, _interval = signal.getitimer(signal.ITIMER_PROF)
        assert 0.3 < left < 0.6  # re-armed for what this thread has left (timer ticks round it), not raised
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    t0 = time.thread_time()
    with pytest.raises(CpuBudgetExceeded), cpu_budget(0.1):
        while time.thread_time() - t0 < 5:
            pass
    assert time.thread_time() - t0 < 1.0


def test_a_message_over_the_budget_is_rejected_as_too_slow_and_the_next_passes() -> None:
    """4 MB of short paragraphs take about 50 ms of CPU: ten times a budget of 5 ms."""
    raw = submission(fill("Headline\n\n", "A sentence of the story goes here.\n\n", "", 4_000_000))
    message = raw.model_dump_json().encode()
    normalise_within_budget(message, OPTIONS, NOW, Source("wire.raw", 0, 6), 0)  # warm: language data loaded
    t0 = time.process_time()
    outcome = normalise_within_budget(message, OPTIONS, NOW, Source("wire.raw", 0, 7), 0.005)
    assert time.process_time() - t0 < 1.0
    assert outcome.rejection is not None and outcome.rejection.reason == "too_slow"
    assert outcome.rejection.submission_id == "s-1" and outcome.rejection.original == raw.payload
    assert (outcome.rejection.source_topic, outcome.rejection.source_offset) == ("wire.raw", 7)
    ok = normalise_within_budget(message, OPTIONS, NOW, Source("wire.raw", 0, 8), 5.0)
    assert ok.rejection is None and ok.stories[0].headline == "Headline"
