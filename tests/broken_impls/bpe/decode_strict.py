"""Decoding with Python's default strict UTF-8: ids that end inside a character raise instead of giving U+FFFD."""

from solutions.bpe import bpe_encode, bpe_train


def bpe_decode(ids, merges):
    vocab = {i: bytes([i]) for i in range(256)}
    for i, (a, b) in enumerate(merges):
        vocab[256 + i] = vocab[a] + vocab[b]
    return b"".join(vocab[i] for i in ids).decode("utf-8")  # errors="strict"


MUST_FAIL = {
    "checks/test_bpe.py::test_ids_whose_bytes_are_no_utf8_decode_to_replacement_characters_not_an_error",
}
