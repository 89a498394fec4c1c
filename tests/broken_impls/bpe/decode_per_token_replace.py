"""BPE decoding token by token with errors="replace": a character split across two tokens becomes U+FFFD."""

from solutions.bpe import bpe_encode, bpe_train  # noqa: F401


def bpe_decode(ids, merges):
    table = [bytes([i]) for i in range(256)]
    for a, b in merges:
        table.append(table[a] + table[b])
    return "".join(table[i].decode("utf-8", errors="replace") for i in ids)


MUST_FAIL = {
    "checks/test_bpe.py::test_decode_of_encode_gives_back_any_unicode_text",
}
