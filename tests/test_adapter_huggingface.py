"""Hugging Face transformers' own LLaMA code passes the checks (qbank/adapters/huggingface.py).

transformers implements what PyTorch lacks (SwiGLU, RoPE, grouped-query attention, the KV cache,
the LLaMA block); the adapter hands its classes to the checks under the contract's names. Every
check of those components must accept them: a check that fails here rejects a correct
implementation, so it is the check that is wrong. The check files run in one pytest subprocess
against `--impl qbank.adapters.huggingface`; the names transformers has no implementation of are
listed below, and only their checks may skip.
"""

import json
from pathlib import Path

import pytest

from tests.proof_runs import requires, run_library

pytestmark = requires("transformers")

ROOT = Path(__file__).resolve().parents[1]

# Names at least one passing check must read from the adapter.
EXERCISED = {"RMSNorm", "SwiGLU", "DecoderBlock"}
# Names transformers has no implementation of (their checks skip, naming them): its configs store
# the SwiGLU width instead of computing it.
ABSENT = {"swiglu_hidden_width"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return run_library("hf-llama", tmp_path_factory.mktemp("hf") / "report.json")


def test_no_check_rejects_hugging_faces_llama_code(report):
    failed = {node: entry["message"] for node, entry in report["checks"].items() if entry["outcome"] == "failed"}
    assert not failed, json.dumps(failed, indent=1)
    assert report["returncode"] == 0, report["stdout"][-3000:]


def test_every_name_the_adapter_provides_is_exercised_and_only_the_absent_ones_skip(report):
    from qbank.bank.checks import check_functions

    reads = check_functions(ROOT)
    passed = {node for node, entry in report["checks"].items() if entry["outcome"] == "passed"}
    exercised = set().union(*(reads[node] for node in passed))
    assert EXERCISED <= exercised, f"no passing check read {EXERCISED - exercised}"
    for node, entry in report["checks"].items():
        if entry["outcome"] == "skipped":
            assert any(f"'{name}'" in entry["message"] for name in ABSENT), (node, entry["message"])
    import qbank.adapters.huggingface as adapter

    assert not any(hasattr(adapter, name) for name in ABSENT), "a name listed as absent is provided"


def test_the_reference_block_equals_llama_decoder_layer_with_copied_weights():
    import torch
    from transformers.models.llama.modeling_llama import LlamaDecoderLayer

    import qbank.adapters.huggingface as adapter
    from solutions.decoder_block import DecoderBlock

    torch.manual_seed(0)
    D, H, Hkv, d_ff, T = 32, 8, 2, 40, 7
    ours = DecoderBlock(D, H, Hkv, d_ff).double()
    theirs = LlamaDecoderLayer(adapter.llama_config(D, H, Hkv, d_ff), layer_idx=0).double()
    a, f = ours.self_attn, ours.ffn
    names = {"input_layernorm": ours.norm1, "post_attention_layernorm": ours.norm2, "self_attn.q_proj": a.q_proj,
             "self_attn.k_proj": a.k_proj, "self_attn.v_proj": a.v_proj, "self_attn.o_proj": a.out_proj,
             "mlp.gate_proj": f.w1, "mlp.up_proj": f.w3, "mlp.down_proj": f.w2}
    with torch.no_grad():
        for name, module in names.items():
            module.weight.normal_(1.0 if module.weight.dim() == 1 else 0.0, 0.3)
            theirs.get_submodule(name).weight.copy_(module.weight)
    assert sum(p.numel() for p in theirs.parameters()) == sum(p.numel() for p in ours.parameters())
    x = torch.randn(2, T, D, dtype=torch.float64)
    rotary = adapter.llama.LlamaRotaryEmbedding(theirs.self_attn.config)
    table = rotary(x, torch.arange(T)[None])  # transformers computes the angles in float32
    torch.testing.assert_close(ours(x), theirs(x, position_embeddings=table), rtol=1e-5, atol=1e-5)


def test_the_llama_width_rule_gives_the_ffn_width_of_llamas_default_config():
    from transformers import LlamaConfig

    from solutions.swiglu import swiglu_hidden_width

    config = LlamaConfig()  # transformers' defaults are LLaMA-7B's
    assert swiglu_hidden_width(config.hidden_size) == config.intermediate_size == 11008
