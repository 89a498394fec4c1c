"""BPE encoding that applies the merges newest first (reversed), so merges built on earlier ones never fire."""

from solutions.bpe import CHUNK, _merge, bpe_decode, bpe_train  # noqa: F401


def bpe_encode(text, merges):
    ids = []
    for chunk in CHUNK.findall(text):
        seq = list(chunk.encode("utf-8"))
        for i in reversed(range(len(merges))):
            seq = _merge(seq, tuple(merges[i]), 256 + i)
        ids += seq
    return ids


MUST_FAIL = {
    "checks/test_bpe.py::test_encoding_applies_the_merges_in_learned_order_not_the_longest_token_first",
    "checks/test_bpe.py::test_encoding_matches_a_reference_encoder_with_learned_merges",
    "checks/test_bpe.py::test_a_frequent_word_becomes_one_token_and_a_rare_word_splits_into_pieces",
    "checks/test_bpe.py::test_encoding_the_training_text_shortens_it_and_decoding_restores_it",
}
