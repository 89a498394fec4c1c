"""Claims about byte-level byte-pair encoding (questions/llm/tokens-and-tokenization.yaml,
questions/llm/bpe-and-other-subword-tokenizers.yaml).

Every check grades the implementation under test (`impl.bpe_train`, `impl.bpe_encode`,
`impl.bpe_decode`). The oracle is checks/oracles/bpe.py, a separate BPE that recounts every
pair each round (Sennrich et al. 2016's formulation); Hugging Face `tokenizers`' trainer
passes these same checks through qbank/adapters/hf_tokenizers.py
(tests/test_adapter_hf_tokenizers.py).
"""

from hypothesis import given
from hypothesis import strategies as st

from checks.oracles import bpe as oracle

# Sennrich et al.'s toy corpus, one space before each word: low x5, lower x2, newest x6, widest x3
TOY = "".join(" " + w for w in ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3)
# text whose merges cut characters: "é" is 2 bytes, "猫" 3, "🙂" 4
MULTILINGUAL = "naïve café 猫猫 猫 the cat 🙂🙂 déjà vu " * 3

# small alphabets make repeated pairs, and so merges and ties, likely
small_texts = st.text(alphabet=st.sampled_from("ab é猫"), max_size=40)
# any text UTF-8 can encode: every code point but the surrogates. The same set as st.text()'s
# default (codec "utf-8"), which costs ~2 s to compute in each fresh Hypothesis storage folder.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


def _shown(merges, ids) -> list[bytes]:
    table = oracle.token_bytes(merges)
    return [table[i] if 0 <= i < len(table) else f"<id {i}>".encode() for i in ids]


# ------------------------------------------------------------------------- round trip


@given(any_text)
def test_decode_of_encode_gives_back_any_unicode_text(impl, text):
    for corpus in (MULTILINGUAL, TOY, text):
        merges = impl.bpe_train(corpus, 300)
        ids = impl.bpe_encode(text, merges)
        back = impl.bpe_decode(ids, merges)
        assert back == text, (f"decode(encode({text!r})) = {back!r} with merges learned on {corpus[:20]!r}...; "
                              f"tokens {_shown(merges, ids)}: join the tokens' bytes, then decode UTF-8 once")


def test_ids_whose_bytes_are_no_utf8_decode_to_replacement_characters_not_an_error(impl):
    # Generation can stop inside a character: "é" is b"\xc3\xa9", so a sampled sequence may end
    # on the lead byte 0xc3 or start on the continuation byte 0xa9. The contract decodes with
    # errors="replace": each undecodable byte becomes U+FFFD and the rest of the text survives.
    merges = impl.bpe_train(TOY, 260)
    for ids, expected in (([99, 97, 102, 0xC3], "caf\ufffd"), ([0xA9, 97], "\ufffda"), ([0xFF], "\ufffd")):
        try:
            got = impl.bpe_decode(ids, merges)
        except (UnicodeDecodeError, LookupError) as error:
            raise AssertionError(f"bpe_decode({ids}) raised {error!r}: bytes that are no UTF-8 must "
                                 f"decode to U+FFFD (errors='replace'), as the contract says") from None
        assert got == expected, f"bpe_decode({ids}) = {got!r}, expected {expected!r} (errors='replace')"


@given(any_text)
def test_every_id_is_a_byte_or_a_learned_token_so_nothing_is_out_of_vocabulary(impl, text):
    assert impl.bpe_encode(text, []) == list(text.encode("utf-8")), (
        "with no merges the tokens are the text's UTF-8 bytes (the base vocabulary is the 256 bytes)")
    merges = impl.bpe_train(TOY, 270)  # learned on ASCII only: every other character is unseen
    ids = impl.bpe_encode(text, merges)
    assert all(0 <= i < 256 + len(merges) for i in ids), (
        f"ids {ids} of {text!r}: each must be a byte (< 256) or a learned token (< {256 + len(merges)})")
    assert b"".join(oracle.token_bytes(merges)[i] for i in ids) == text.encode("utf-8")


# -------------------------------------------------------------------------- training


@given(small_texts)
def test_the_first_merge_is_the_most_frequent_adjacent_pair(impl, text):
    counts = oracle.pair_counts(text)
    merges = impl.bpe_train(text, 257)
    if not counts:
        assert merges == [], f"{text!r} has no adjacent pair inside a chunk, yet merges {merges}"
        return
    top = max(counts.values())
    assert len(merges) == 1, f"vocab_size 257 = the 256 bytes + one merge; got {len(merges)} merges"
    assert counts.get(tuple(merges[0]), 0) == top, (
        f"first merge {tuple(merges[0])} occurs {counts.get(tuple(merges[0]), 0)} times in {text!r}; "
        f"the most frequent pair occurs {top} times ({sorted(p for p, c in counts.items() if c == top)})")


@given(small_texts, st.integers(256, 280))
def test_training_matches_a_reference_trainer_merge_for_merge_with_ties_to_the_smallest_pair(impl, text, vocab):
    expected = oracle.train(text, vocab)
    got = [tuple(m) for m in impl.bpe_train(text, vocab)]
    assert got == expected, (
        f"merges on {text!r} (vocab_size {vocab}): {got}, expected {expected}; each round merges the most "
        "frequent pair, counting overlaps, inside chunks only, ties to the smallest (left id, right id)")


def test_a_frequent_word_becomes_one_token_and_a_rare_word_splits_into_pieces(impl):
    merges = impl.bpe_train(TOY, 270)
    assert len(merges) == 14
    for word in (" newest", " low", " widest"):  # 6, 5 and 3 occurrences
        ids = impl.bpe_encode(word, merges)
        assert len(ids) == 1, f"{word!r} (frequent in training) -> {_shown(merges, ids)}, expected one token"
    for word, at_least in ((" lowest", 2), (" wider", 3), (" zebra", 6)):  # unseen: pieces of frequent ones
        ids = impl.bpe_encode(word, merges)
        assert len(ids) >= at_least, f"{word!r} (rare) -> {_shown(merges, ids)}, expected >= {at_least} pieces"
        assert impl.bpe_decode(ids, merges) == word


# -------------------------------------------------------------------------- encoding


def test_encoding_applies_the_merges_in_learned_order_not_the_longest_token_first(impl):
    a, b, c = b"abc"
    merges = [(b, c), (a, b)]  # 256 = "bc" learned first, 257 = "ab" second
    ids = impl.bpe_encode("abc", merges)
    assert ids == [a, 256], (f"'abc' -> {_shown(merges, ids)}; merge 0 (b, c) applies before merge 1 (a, b), "
                             "so 'a' + 'bc', not 'ab' + 'c'")
    merges = [(a, b), (256, c), (b, c)]  # "ab", then "abc", then "bc"
    ids = impl.bpe_encode("abcbc", merges)
    assert ids == [257, 258], f"'abcbc' -> {_shown(merges, ids)}, expected 'abc' + 'bc'"


@given(small_texts, small_texts)
def test_encoding_matches_a_reference_encoder_with_learned_merges(impl, corpus, text):
    merges = [tuple(m) for m in oracle.train(corpus, 270)]
    expected = oracle.encode(text, merges)
    got = impl.bpe_encode(text, merges)
    assert got == expected, (f"{text!r} -> {_shown(merges, got)}, expected {_shown(merges, expected)} "
                             f"with the merges learned on {corpus!r}")


def test_encoding_the_training_text_shortens_it_and_decoding_restores_it(impl):
    merges = impl.bpe_train(MULTILINGUAL, 300)
    ids = impl.bpe_encode(MULTILINGUAL, merges)
    n_bytes = len(MULTILINGUAL.encode("utf-8"))
    assert len(ids) < n_bytes / 3, f"{len(ids)} tokens for {n_bytes} bytes after {len(merges)} merges"
    assert impl.bpe_decode(ids, merges) == MULTILINGUAL


# ------------------------------------------------------------- against words and bytes


def test_unseen_words_are_spelled_in_pieces_and_kept_apart_where_a_word_vocabulary_has_one_unk(impl):
    merges = impl.bpe_train(TOY, 270)
    words = {chunk: i + 1 for i, chunk in enumerate(sorted(set(oracle.chunks(TOY))))}  # 0 = <unk>
    purrs, meows = " the cat purrs", " the cat meows"  # none of these words is in the toy corpus
    as_words = [[words.get(c, 0) for c in oracle.chunks(s)] for s in (purrs, meows)]
    assert as_words[0] == as_words[1] == [0, 0, 0]  # a word vocabulary: both sentences are <unk> x 3
    ids = [impl.bpe_encode(s, merges) for s in (purrs, meows)]
    assert ids[0] != ids[1], f"BPE should keep the two sentences apart: {ids}"
    assert [impl.bpe_decode(i, merges) for i in ids] == [purrs, meows]


def test_text_outside_ascii_takes_more_byte_tokens_than_characters(impl):
    for text, n_chars, n_bytes in (("cat", 3, 3), ("naïve", 5, 6), ("猫", 1, 3), ("🙂", 1, 4)):
        ids = impl.bpe_encode(text, [])
        assert (len(text), len(ids)) == (n_chars, n_bytes), f"{text!r}: {len(ids)} byte tokens {ids}"
