"""The contract of the `bpe` component: Byte-level byte-pair encoding."""

from dataclasses import replace

from qbank.contract.model import component

# plain Python: the starter needs no torch import
COMPONENT = replace(component(
    "bpe", "Byte-level byte-pair encoding (BPE)",
    "Learn merges of the most frequent adjacent pair over the 256 bytes; encode by applying them in "
    "learned order; decode the joined bytes.",
    ("bpe_train", "function", '''
def bpe_train(text: str, vocab_size: int) -> list[tuple[int, int]]:
    """Learn byte-level BPE merges from `text`; merge i creates token id 256 + i.

    Ids 0..255 are the bytes. Cut `text` into chunks with re.findall(" ?[^ ]+| +(?![^ ])", text)
    (a word with the one space before it, or a run of spaces that leaves its last space to
    the word after it, as GPT-2 does); count each adjacent pair of
    tokens inside the chunks (overlapping pairs count: "aaa" holds (97, 97) twice), weighted
    by how often the chunk occurs. Merge the most frequent pair everywhere (left to right);
    on a tie, the smallest (left id, right id). Repeat until there are `vocab_size` tokens
    (256 + len(merges)) or no chunk has two tokens left.
    returns the merges in learned order: [(left id, right id), ...]
    """
    raise NotImplementedError
'''),
    ("bpe_encode", "function", '''
def bpe_encode(text: str, merges: list[tuple[int, int]]) -> list[int]:
    """Token ids of `text`: cut it into the same chunks as bpe_train, take each chunk's UTF-8
    bytes and apply the merges in learned order (merge i, to every occurrence, left to right,
    creates id 256 + i). Every id is < 256 + len(merges): nothing is out of vocabulary.
    """
    raise NotImplementedError
'''),
    ("bpe_decode", "function", '''
def bpe_decode(ids: list[int], merges: list[tuple[int, int]]) -> str:
    """The text of `ids`: join the bytes of every token, then decode UTF-8 once
    (errors="replace", for id lists that no text encodes to). One character's bytes may be
    split across two tokens. bpe_decode(bpe_encode(s, m), m) == s for every string s.
    """
    raise NotImplementedError
'''),
), imports="")
