"""Byte-level byte-pair encoding (BPE): learn merges, encode with them, decode.

The base vocabulary is the 256 byte values (ids 0..255), so any text is encodable: its UTF-8
bytes are already tokens, and nothing is out of vocabulary. Training repeatedly finds the
most frequent adjacent pair of tokens and merges it into a new token; merge i gets id 256 + i.

Conventions (the contract's):
- Pre-tokenization: the text is cut into chunks `re.findall(" ?[^ ]+| +(?![^ ])", text)` (a word with
  the one space before it, or a run of spaces that leaves its last space to the next word, as
  GPT-2's pre-tokenizer does). Pairs are counted inside chunks, never across.
- Counting: every adjacent position counts, overlapping ones too ("aaa" holds (a, a) twice).
- Ties: among pairs with the same count, the smallest (left id, right id) wins.
- Training stops at `vocab_size` tokens or when no chunk has two tokens left.
- Encoding applies the merges in the order they were learned, each to every occurrence, left
  to right; decoding joins the tokens' bytes and only then decodes UTF-8.
"""

import re
from collections import Counter

CHUNK = re.compile(" ?[^ ]+| +(?![^ ])")


def _merge(seq: list[int], pair: tuple[int, int], new: int) -> list[int]:
    out, i = [], 0
    while i < len(seq):  # left to right, non-overlapping
        if i + 1 < len(seq) and (seq[i], seq[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return out


# --8<-- [start:bpe_train]
def bpe_train(text: str, vocab_size: int) -> list[tuple[int, int]]:
    words = Counter(CHUNK.findall(text))  # chunk -> how often it occurs
    seqs = {w: list(w.encode()) for w in words}  # str.encode() is UTF-8
    merges: list[tuple[int, int]] = []
    while 256 + len(merges) < vocab_size:
        counts: Counter = Counter()
        for w, seq in seqs.items():
            for pair in zip(seq, seq[1:]):
                counts[pair] += words[w]
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))  # most frequent, then smallest
        new = 256 + len(merges)
        merges.append(best)
        seqs = {w: _merge(seq, best, new) for w, seq in seqs.items()}
    return merges
# --8<-- [end:bpe_train]


# --8<-- [start:bpe_encode]
def bpe_encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    ids: list[int] = []
    for chunk in CHUNK.findall(text):
        seq = list(chunk.encode())  # UTF-8 bytes
        for i, pair in enumerate(merges):  # in learned order: a later merge may use an earlier one
            seq = _merge(seq, pair, 256 + i)
        ids += seq
    return ids
# --8<-- [end:bpe_encode]


# --8<-- [start:bpe_decode]
def bpe_decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    vocab = {i: bytes([i]) for i in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[256 + i] = vocab[a] + vocab[b]
    # join the bytes first: one character's bytes may sit in two tokens; bytes that are no
    # UTF-8 (a sequence cut inside a character) become U+FFFD instead of an error
    return b"".join(vocab[i] for i in ids).decode(errors="replace")  # bytes.decode() is UTF-8
# --8<-- [end:bpe_decode]
