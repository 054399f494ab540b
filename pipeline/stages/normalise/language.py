"""Language detection for stories whose format names no language (py3langid, its packaged model).

py3langid walks its byte n-gram automaton one byte at a time in Python, which cost most of the normalise
stage. :class:`_Detector` computes the same feature counts with numpy: the automaton's states are the prefixes of
its byte n-grams, the longest ``depth`` bytes (found once, at load), so its state after byte *i* is the state
reached by walking from the root over bytes *i - depth + 1 … i* alone; those walks run for every position at
once. The scoring that follows is py3langid's own (same feature order, same float32 arithmetic), so the results
are the library's, bit for bit (``tests/unit/normalise/test_language.py`` compares them).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

#: Below this normalised probability the stage leaves ``language`` unset rather than guess.
MIN_CONFIDENCE = 0.9
#: Characters of text read for detection (the headline and the first paragraphs are enough).
SAMPLE_CHARS = 600
MIN_CHARS = 40


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)


def model_path() -> Path:
    """py3langid's packaged model: an npz archive compressed with LZMA."""
    from py3langid import langid

    path: Path = Path(langid.MODEL_DIR) / langid.MODEL_FILE
    return path


def identifier_from_npz(npz: bytes | memoryview) -> Any:
    """The identifier ``_identifier`` loads, from the model's npz archive already decompressed (a cached copy:
    decompressing the 68 MB takes most of the model's load). The arrays and their conversions are those of
    py3langid's ``modelio.load_model`` and ``LanguageIdentifier.from_model_file``."""
    from py3langid import langid, modelio

    with np.load(io.BytesIO(npz), allow_pickle=False) as data:
        return langid.LanguageIdentifier(
            np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
            modelio._to_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=True,
            tk_row=modelio._to_array(data["nextmove_row"]),
        )  # fmt: skip


_NEVER = np.iinfo(np.int64).max


class _Scratch(threading.local):
    """Per-feature counters, all zero (first positions all ``_NEVER``) between calls; one set per thread."""

    def __init__(self, features: int) -> None:
        self.counts = np.zeros(features, dtype=np.int64)
        self.first = np.full(features, _NEVER, dtype=np.int64)


class _Detector:
    """py3langid's ``classify`` for a normalising identifier, with the automaton walk done by numpy."""

    def __init__(self, identifier: Any, depth: int | None = None) -> None:
        """``depth``: the automaton's depth when known (from a cache: finding it is most of this method's time)."""
        self.identifier = identifier
        self.nextmove = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32)  # shares the model's memory
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.intp)
        self.output = np.asarray(identifier.tk_output, dtype=np.intp)
        self._nextmove_list = identifier.tk_nextmove
        self._rowbase_list = identifier._rowbase
        self.depth = self._depth() if depth is None else depth
        # The state after any two bytes read from the root, one lookup in a 256 KB table instead of two walks
        # through the 39 MB transition table (whose random reads miss the CPU caches).
        every_byte = np.arange(256, dtype=np.intp)
        after_one = self.nextmove[self.rowbase[0] + every_byte]
        self.after_two = self.nextmove[(self.rowbase[after_one][:, None] + every_byte).ravel()].astype(np.int32)
        # The weights are float16; numpy converts them to float32 slowly (≈1 ns a value, 46k values a story).
        # The same float32 values come from one lookup in a 65,536-entry table of every float16 bit pattern.
        self.weight_bits = identifier.nb_ptc.view(np.uint16)
        self.float16_to_32 = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)
        self.scratch = _Scratch(len(identifier.nb_ptc))
        # Rows already converted, packed from the front in the order features were first seen: resident memory
        # grows with the features a feed uses (568 bytes each; all 100k would be the 57 MB of a full copy).
        self._slot_of = np.full(len(identifier.nb_ptc), -1, dtype=np.intp)
        self._rows32 = np.empty(identifier.nb_ptc.shape, dtype=np.float32)  # untouched pages take no memory
        self._rows_used = 0
        self._admit_lock = threading.Lock()

    def _depth(self) -> int:
        """The automaton's deepest state. A state's distance from the root (breadth first over every byte) is the
        length of the n-gram prefix it stands for: a string that reaches it ends with that prefix."""
        seen = np.zeros(len(self.output), dtype=bool)
        seen[0] = True
        frontier = np.zeros(1, dtype=np.intp)
        depth = 0
        every_byte = np.arange(256, dtype=np.intp)
        while True:
            fresh = np.zeros(len(self.output), dtype=bool)
            fresh[self.nextmove[(self.rowbase[frontier][:, None] + every_byte).ravel()]] = True
            fresh &= ~seen
            frontier = np.flatnonzero(fresh)
            if frontier.size == 0:
                return depth
            seen[frontier] = True
            depth += 1

    def features(self, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """Feature ids in order of first occurrence and their counts (py3langid's ``visit_counts``)."""
        n, order = len(data), self.depth
        if n == 0:
            return None
        symbols = np.frombuffer(data, dtype=np.uint8).astype(np.intp)
        states = np.empty(n, dtype=np.intp)
        head = min(n, order - 1)
        state = 0
        for i in range(head):  # the first bytes have fewer than depth bytes before them: walk exactly
            state = self._nextmove_list[self._rowbase_list[state] + data[i]]
            states[i] = state
        if n >= order:  # order > 1: the depth test in the tests checks it
            width = n - order + 1
            walk = self.after_two[(symbols[:width] << 8) | symbols[1 : 1 + width]]
            for k in range(2, order):
                walk = self.nextmove[self.rowbase[walk] + symbols[k : k + width]]
            states[order - 1 :] = walk
        found = self.output[states]
        found = found[found >= 0]
        if found.size == 0:
            return None
        return self._first_order_counts(found)

    def _first_order_counts(self, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The distinct ids of ``found`` in order of first occurrence (py3langid's Counter order), and counts.

        Unbuffered ``ufunc.at`` into per-feature scratch arrays counts each id and keeps its first position;
        the entries touched are reset before returning.
        """
        scratch = self.scratch
        positions = np.arange(found.size)
        try:
            np.add.at(scratch.counts, found, 1)
            np.minimum.at(scratch.first, found, positions)
            ids = found[scratch.first[found] == positions]
            counts = scratch.counts[ids]
        finally:
            scratch.counts[found] = 0
            scratch.first[found] = _NEVER
        return ids, counts

    def weights(self, ids: np.ndarray) -> np.ndarray:
        """``nb_ptc[ids]`` as float32 (the values numpy's own float16 → float32 conversion gives), distinct ids."""
        slots = self._slot_of.take(ids)
        if (slots < 0).any():
            slots = self._admit(ids)
        return self._rows32.take(slots, axis=0)

    def _admit(self, ids: np.ndarray) -> np.ndarray:
        """Convert the rows of the ids not seen before into the packed float32 rows; the slots of ``ids``."""
        with self._admit_lock:
            slots = self._slot_of.take(ids)
            new = ids[slots < 0]
            start, end = self._rows_used, self._rows_used + new.size
            self._rows32[start:end] = self.float16_to_32.take(self.weight_bits.take(new, axis=0))
            self._slot_of[new] = np.arange(start, end)  # published after the rows are written
            self._rows_used = end
            return self._slot_of.take(ids)

    def classify(self, text: str) -> tuple[str, float]:
        ident = self.identifier
        data = ident._encode(text)
        visits = self.features(data)
        if visits is None:
            scores = np.full(len(ident.nb_classes), 0.0, dtype=np.float32)
        else:
            ids, counts = visits
            scores = np.log1p(counts.astype(np.float32)) @ self.weights(ids) + ident.nb_pc
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in ident._alias_pairs:
            scores[i] += scores[j]
            scores[j] = 0.0
        best = int(scores.argmax())
        return ident.nb_classes[best], float(scores[best])


#: What ``_detector`` returns: made by its first call, or given by ``use_detector``.
_DETECTOR: list[_Detector] = []


def _detector() -> _Detector:
    if not _DETECTOR:
        _DETECTOR.append(_Detector(_identifier()))
    return _DETECTOR[0]


def detector_from_npz(npz: bytes | memoryview, depth: int | None = None) -> _Detector:
    """A detector of the model in ``npz`` (``identifier_from_npz``); ``depth`` as found for it before, if known."""
    return _Detector(identifier_from_npz(npz), depth)


def use_detector(detector: _Detector) -> None:
    """Make ``detector`` the one the stage uses: the packaged model loaded another way (``identifier_from_npz``)."""
    _DETECTOR[:] = [detector]


def detect_language(headline: str, body: Sequence[str]) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is short or the model unsure."""
    sample = " ".join([headline, *body])[:SAMPLE_CHARS]
    if len(sample) < MIN_CHARS:
        return None
    code, prob = _detector().classify(sample)
    return str(code) if prob >= MIN_CONFIDENCE else None
