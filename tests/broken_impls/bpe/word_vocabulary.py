"""A word-level lookup behind the BPE API: a chunk that is not one learned token becomes <unk> (id 0)."""

from solutions.bpe import CHUNK, bpe_decode, bpe_train  # noqa: F401


def bpe_encode(text, merges):
    table = [bytes([i]) for i in range(256)]
    for a, b in merges:
        table.append(table[a] + table[b])
    whole = {t: i for i, t in enumerate(table) if i >= 256}  # the learned "words"
    return [whole.get(chunk.encode("utf-8"), 0) for chunk in CHUNK.findall(text)]


MUST_FAIL = {
    "checks/test_bpe.py::test_decode_of_encode_gives_back_any_unicode_text",
    "checks/test_bpe.py::test_every_id_is_a_byte_or_a_learned_token_so_nothing_is_out_of_vocabulary",
    "checks/test_bpe.py::test_unseen_words_are_spelled_in_pieces_and_kept_apart_where_a_word_vocabulary_has_one_unk",
    "checks/test_bpe.py::test_text_outside_ascii_takes_more_byte_tokens_than_characters",
}
