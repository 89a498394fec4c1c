"""BPE training that merges the least frequent adjacent pair (min where max belongs)."""

from collections import Counter

from solutions.bpe import CHUNK, _merge, bpe_decode, bpe_encode  # noqa: F401


def bpe_train(text, vocab_size):
    words = Counter(CHUNK.findall(text))
    seqs = {w: list(w.encode("utf-8")) for w in words}
    merges = []
    while 256 + len(merges) < vocab_size:
        counts = Counter()
        for w, seq in seqs.items():
            for pair in zip(seq, seq[1:]):
                counts[pair] += words[w]
        if not counts:
            break
        best = min(counts, key=lambda p: (counts[p], p))  # the rarest pair
        merges.append(best)
        seqs = {w: _merge(seq, best, 256 + len(merges) - 1) for w, seq in seqs.items()}
    return merges


MUST_FAIL = {
    "checks/test_bpe.py::test_the_first_merge_is_the_most_frequent_adjacent_pair",
    "checks/test_bpe.py::test_training_matches_a_reference_trainer_merge_for_merge_with_ties_to_the_smallest_pair",
    "checks/test_bpe.py::test_a_frequent_word_becomes_one_token_and_a_rare_word_splits_into_pieces",
}
