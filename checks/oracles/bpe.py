"""A reference byte-level BPE, written apart from solutions/bpe.py, for tests/test_bpe.py to
compare the implementation under test with (Hugging Face `tokenizers`' trainer agrees with it
merge for merge under the contract's conventions: tests/test_adapter_hf_tokenizers.py).

Sennrich et al.'s formulation: the corpus is a table {chunk: count}, each chunk a tuple of
token ids; every round recounts all adjacent pairs from scratch and rewrites every chunk.
"""

from __future__ import annotations

import re
from collections import defaultdict

CHUNK = re.compile(" ?[^ ]+| +(?![^ ])")  # the contract's pre-tokenization


def chunks(text: str) -> list[str]:
    return CHUNK.findall(text)


def pair_counts(text: str, merges: list[tuple[int, int]] = ()) -> dict[tuple[int, int], int]:
    """How often each adjacent pair of tokens occurs inside the chunks of `text`, once the
    merges are applied (overlapping positions count)."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for chunk in chunks(text):
        seq = encode_chunk(chunk, merges)
        for i in range(len(seq) - 1):
            counts[seq[i], seq[i + 1]] += 1
    return dict(counts)


def train(text: str, vocab_size: int) -> list[tuple[int, int]]:
    merges: list[tuple[int, int]] = []
    while 256 + len(merges) < vocab_size:
        counts = pair_counts(text, merges)
        if not counts:
            return merges
        top = max(counts.values())
        merges.append(min(p for p, c in counts.items() if c == top))  # tie: the smallest pair
    return merges


def encode_chunk(chunk: str, merges) -> tuple[int, ...]:
    seq = tuple(chunk.encode("utf-8"))
    for rank, pair in enumerate(merges):
        out: list[int] = []
        i = 0
        while i < len(seq):
            if seq[i : i + 2] == pair:
                out.append(256 + rank)
                i += 2
            else:
                out.append(seq[i])
                i += 1
        seq = tuple(out)
    return seq


def encode(text: str, merges) -> list[int]:
    return [i for chunk in chunks(text) for i in encode_chunk(chunk, merges)]


def token_bytes(merges) -> list[bytes]:
    """The bytes each id stands for: 0..255 themselves, then each merge's two parts joined."""
    table = [bytes([b]) for b in range(256)]
    for a, b in merges:
        table.append(table[a] + table[b])
    return table
