"""Hugging Face `tokenizers`' byte-pair encoding, exposed through the `bpe` contract
(tests only: the CLI and `checks/` never import `tokenizers`).

`pytest checks/test_bpe.py --impl qbank.adapters.hf_tokenizers` grades the Rust BPE trainer
and model of `tokenizers` with the same checks as `solutions.bpe`; tests/test_adapter_hf_tokenizers.py
runs that. The pair counting, the choice of the merge, its tie-breaking and the encoding are
theirs; the code below only converts conventions, where the two differ:

- Bytes as characters. `tokenizers` works on strings. Its own `ByteLevel` pre-tokenizer maps
  the 256 bytes to characters in an order that is not the bytes' order (printable bytes map to
  themselves, the others to U+0100 and up), and the trainer numbers its alphabet in code-point
  order, so byte 0 would not get id 0 and ties would break differently. Here byte b is the
  character U+0100 + b instead: monotone, so the trainer's ids 0..255 are the byte values and
  its tie rule (equal counts: the smallest (left id, right id) pair) is the contract's.
- Pre-tokenization. The contract's chunks (`" ?[^ ]+| +(?![^ ])"`) are cut here in Python and given to
  the trainer one per sequence, with no pre-tokenizer of its own (ByteLevel's GPT-2 regex cuts
  differently: contractions, digits, punctuation, and trailing spaces).
- Stopping. `vocab_size` counts the 256 bytes; no special tokens, no minimum frequency.

What stays different: `tokenizers` ships merges as token strings and ids in a JSON model; the
functions below translate them to the contract's (left id, right id) pairs and back.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from tokenizers import Tokenizer, models, trainers

CHUNK = re.compile(" ?[^ ]+| +(?![^ ])")
OFFSET = 0x100  # byte b <-> chr(OFFSET + b)


def _chars(data: bytes) -> str:
    return "".join(chr(OFFSET + b) for b in data)


def _bytes(token: str) -> bytes:
    return bytes(ord(c) - OFFSET for c in token)


def _alphabet() -> list[str]:
    return [chr(OFFSET + b) for b in range(256)]


def bpe_train(text: str, vocab_size: int) -> list[tuple[int, int]]:
    tokenizer = Tokenizer(models.BPE())
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False,
                                  initial_alphabet=_alphabet(), special_tokens=[])
    chunks = [_chars(c.encode("utf-8")) for c in CHUNK.findall(text)]
    tokenizer.train_from_iterator(chunks, trainer=trainer)
    model = json.loads(tokenizer.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return [(vocab[a], vocab[b]) for a, b in merges]


@lru_cache(maxsize=64)
def _model(merges: tuple[tuple[int, int], ...]) -> Tokenizer:
    tokens = [bytes([b]) for b in range(256)]
    for a, b in merges:
        tokens.append(tokens[a] + tokens[b])
    vocab = {_chars(t): i for i, t in enumerate(tokens)}
    pairs = [(_chars(tokens[a]), _chars(tokens[b])) for a, b in merges]
    return Tokenizer(models.BPE(vocab=vocab, merges=pairs))


def bpe_encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    tokenizer = _model(tuple(map(tuple, merges)))
    ids: list[int] = []
    for chunk in CHUNK.findall(text):
        ids += tokenizer.encode(_chars(chunk.encode("utf-8"))).ids
    return ids


def bpe_decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    tokenizer = _model(tuple(map(tuple, merges)))
    data = b"".join(_bytes(tokenizer.id_to_token(i)) for i in ids)
    return data.decode("utf-8", errors="replace")
