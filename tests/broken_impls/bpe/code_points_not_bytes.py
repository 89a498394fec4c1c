"""A character-level base vocabulary: Unicode code points instead of bytes, so a character above U+00FF collides with learned ids."""

from collections import Counter

from solutions.bpe import CHUNK, _merge


def _base(chunk):
    return [ord(ch) for ch in chunk]  # 'é' -> 233 fits, '猫' -> 29483 does not


def bpe_train(text, vocab_size):
    words = Counter(CHUNK.findall(text))
    seqs = {w: _base(w) for w in words}
    merges = []
    while 256 + len(merges) < vocab_size:
        counts = Counter()
        for w, seq in seqs.items():
            for pair in zip(seq, seq[1:]):
                counts[pair] += words[w]
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
        merges.append(best)
        seqs = {w: _merge(seq, best, 256 + len(merges) - 1) for w, seq in seqs.items()}
    return merges


def bpe_encode(text, merges):
    ids = []
    for chunk in CHUNK.findall(text):
        seq = _base(chunk)
        for i, pair in enumerate(merges):
            seq = _merge(seq, tuple(pair), 256 + i)
        ids += seq
    return ids


def bpe_decode(ids, merges):
    table = {}
    for i, (a, b) in enumerate(merges):
        table[256 + i] = (a, b)

    def expand(i):
        return expand(table[i][0]) + expand(table[i][1]) if i in table else chr(i)

    return "".join(expand(i) for i in ids)


MUST_FAIL = {
    "checks/test_bpe.py::test_every_id_is_a_byte_or_a_learned_token_so_nothing_is_out_of_vocabulary",
    "checks/test_bpe.py::test_the_first_merge_is_the_most_frequent_adjacent_pair",
    "checks/test_bpe.py::test_training_matches_a_reference_trainer_merge_for_merge_with_ties_to_the_smallest_pair",
    "checks/test_bpe.py::test_encoding_matches_a_reference_encoder_with_learned_merges",
    "checks/test_bpe.py::test_text_outside_ascii_takes_more_byte_tokens_than_characters",
}
