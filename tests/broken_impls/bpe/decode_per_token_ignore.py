"""BPE decoding token by token with errors="ignore": the bytes of a character split across tokens are dropped."""

from solutions.bpe import bpe_encode, bpe_train  # noqa: F401


def bpe_decode(ids, merges):
    table = [bytes([i]) for i in range(256)]
    for a, b in merges:
        table.append(table[a] + table[b])
    return "".join(table[i].decode("utf-8", errors="ignore") for i in ids)


MUST_FAIL = {
    "checks/test_bpe.py::test_decode_of_encode_gives_back_any_unicode_text",
    "checks/test_bpe.py::test_ids_whose_bytes_are_no_utf8_decode_to_replacement_characters_not_an_error",
}
