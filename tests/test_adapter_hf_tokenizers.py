"""Hugging Face `tokenizers` as an independent oracle for the `bpe` component.

Its Rust BPE trainer and model, seen through qbank/adapters/hf_tokenizers.py (which only
converts conventions), must pass every check of checks/test_bpe.py: a check that rejects it is
a wrong check. The reference solution and `tokenizers` must also agree merge for merge on
random corpora, ties included. The last tests pin down the differences that the adapter
converts, so that they stay documented: with `tokenizers`' stock byte-level setup, ids and
chunks are not the contract's.
"""

import random
from pathlib import Path

import pytest

tokenizers = pytest.importorskip("tokenizers")

from qbank.adapters import hf_tokenizers as hf  # noqa: E402
from solutions import bpe as reference  # noqa: E402
from tests.proof_runs import run_library  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def test_hf_tokenizers_passes_every_bpe_check(tmp_path):
    run = run_library("hf-tokenizers", tmp_path / "report.json")
    assert run["returncode"] == 0, run["stdout"][-3000:]
    checks = run["checks"]
    assert checks and all(e["outcome"] == "passed" for e in checks.values()), checks


def test_hf_trainer_and_the_reference_agree_merge_for_merge_ties_included():
    rng = random.Random(0)
    for _ in range(60):
        alphabet = rng.choice(["ab ", "abc  ", "aé猫 b", "xyzzy  ", "aaaa b"])
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        vocab = rng.randint(256, 290)
        merges = reference.bpe_train(text, vocab)
        assert hf.bpe_train(text, vocab) == merges, (text, vocab)
        probe = "".join(rng.choice(alphabet) for _ in range(30))
        assert hf.bpe_encode(probe, merges) == reference.bpe_encode(probe, merges), (probe, merges)


def test_stock_byte_level_setup_numbers_bytes_in_another_order():
    # tokenizers' ByteLevel maps printable bytes to themselves and the others to U+0100 and up;
    # its trainer numbers the alphabet in code-point order, so id 0 is '!' (byte 33), not byte 0
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=256, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(["hello"], trainer=trainer)
    assert tok.token_to_id("!") == 0 and tok.token_to_id("Ā") != 0  # 'Ā' (U+0100) stands for byte 0
    # the adapter's monotone map gives byte b the id b
    assert hf.bpe_encode("\x00!", []) == [0, 33]


def test_stock_gpt2_pre_tokenizer_cuts_other_chunks_than_the_contract():
    from tokenizers import pre_tokenizers

    text = "don't  stop 42x"
    gpt2 = [piece for piece, _ in pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
            .pre_tokenize_str(text)]
    assert len(gpt2) > len(reference.CHUNK.findall(text))  # contractions, digits, spaces split apart
    assert reference.CHUNK.findall(text) == ["don't", " ", " stop", " 42x"]
