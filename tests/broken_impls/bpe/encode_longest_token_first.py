"""BPE encoding by greedy longest match against the vocabulary (WordPiece-style), ignoring the merge order."""

from solutions.bpe import CHUNK, bpe_decode, bpe_train  # noqa: F401


def bpe_encode(text, merges):
    vocab = {bytes([i]): i for i in range(256)}
    table = [bytes([i]) for i in range(256)]
    for i, (a, b) in enumerate(merges):
        table.append(table[a] + table[b])
        vocab[table[-1]] = 256 + i
    ids = []
    for chunk in CHUNK.findall(text):
        data, i = chunk.encode("utf-8"), 0
        while i < len(data):  # the longest token that matches here
            j = max(j for j in range(i + 1, len(data) + 1) if data[i:j] in vocab)
            ids.append(vocab[data[i:j]])
            i = j
    return ids


MUST_FAIL = {
    "checks/test_bpe.py::test_encoding_applies_the_merges_in_learned_order_not_the_longest_token_first",
}
