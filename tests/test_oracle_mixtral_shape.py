"""The Mixtral-shaped model of checks/test_moe.py against Hugging Face transformers' own
Mixtral, built on the meta device from its configuration (Mixtral 8x7B's shapes): the same
total parameter count, so the 46.7B / 12.9B the bank quotes rest on an independent model."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from checks.test_moe import mixtral_shaped, total_and_active  # noqa: E402


def test_transformers_mixtral_has_as_many_parameters_as_the_oracle():
    config = transformers.MixtralConfig(vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                                        num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                                        num_local_experts=8, num_experts_per_tok=2, tie_word_embeddings=False)
    with torch.device("meta"):
        model = transformers.MixtralForCausalLM(config)
    theirs = sum(p.numel() for p in model.parameters())
    total, active = total_and_active(mixtral_shaped(), layers=32, k=2)
    assert theirs == total, (theirs, total)
    assert round(total / 1e9, 1) == 46.7 and round(active / 1e9, 1) == 12.9
