"""Lead keys and SimHash of ``sketch_words`` against a shingle-by-shingle reference."""

from __future__ import annotations

from hashlib import blake2b

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.stages.dedupe.simhash import SHINGLE, sketch_words


def _shingle_hashes(tokens: list[str]) -> list[int]:
    k = min(SHINGLE, len(tokens))
    out = []
    for i in range(len(tokens) - k + 1):
        h = 0
        for pos, word in enumerate(tokens[i : i + k]):
            digest = blake2b(word.encode("utf-8"), digest_size=8 * SHINGLE, person=b"wirefeed-dedupe").digest()
            h ^= int.from_bytes(digest[8 * pos : 8 * pos + 8], "big")
        out.append(h)
    return out


def _reference_simhash(hashes: list[int]) -> int:
    return sum(1 << bit for bit in range(64) if sum(h >> bit & 1 for h in hashes) > len(hashes) / 2)


def _keys(hashes: list[int], window: int, count: int) -> tuple[bytes, ...]:
    return tuple(h.to_bytes(8, "big") for h in sorted(set(hashes[:window]))[:count])


_WORDS = st.sampled_from(["wire", "story", "bishkek", "moscow", "é", "x1", "said", "the", "a", "of"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=80), st.integers(1, 30), st.integers(1, 4), st.integers(1, 60),
       st.integers(1, 9))  # fmt: skip
def test_sketch_equals_the_reference(tokens: list[str], store_window: int, store_keys: int, probe_window: int,
                                     probe_keys: int) -> None:  # fmt: skip
    hashes = _shingle_hashes(tokens)
    sk = sketch_words(tokens, store_window, store_keys, probe_window, probe_keys)
    assert sk.simhash == _reference_simhash(hashes)
    assert sk.store == _keys(hashes, store_window, store_keys)
    assert sk.probe == _keys(hashes, probe_window, probe_keys)


def test_no_words_no_sketch() -> None:
    sk = sketch_words([])
    assert (sk.simhash, sk.store, sk.probe) == (0, (), ())


def test_repeated_shingles_count_once() -> None:
    for tokens in (["the"] * 50, ["a", "b"] * 40, ["a", "b", "c"] * 30 + ["d", "e", "f", "g"]):
        hashes = _shingle_hashes(tokens)
        sk = sketch_words(tokens, store_window=60, store_keys=3, probe_window=120, probe_keys=8)
        assert sk.store == _keys(hashes, 60, 3)
        assert sk.probe == _keys(hashes, 120, 8)
