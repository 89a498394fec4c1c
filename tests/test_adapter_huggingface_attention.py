"""Hugging Face transformers' RoPE, grouped-query attention and KV caches pass the checks
(the rope, gqa and kv_cache sections of qbank/adapters/huggingface.py).

The check files of those components run in one pytest subprocess against
`--impl qbank.adapters.huggingface`: LlamaRotaryEmbedding + apply_rotary_pos_emb (halves layout),
GPT-J's apply_rotary_pos_emb (interleaved layout), LlamaAttention with grouped K/V heads,
DynamicCache and its sliding-window layer, and transformers' mask functions. A check that fails
here rejects a correct implementation, so it is the check that is wrong. Only the checks of the
names listed in ABSENT may skip. The last test compares the reference solutions with transformers
directly, weights copied, through prefill and cached decoding.
"""

import json
from pathlib import Path

import pytest

from tests.proof_runs import requires, run_library

pytestmark = requires("transformers")

ROOT = Path(__file__).resolve().parents[1]

# Names at least one passing check must read from the adapter.
EXERCISED = {"rope_frequencies", "apply_rope", "apply_rope_interleaved", "grouped_query_attention",
             "GroupedQueryAttention", "KVCache", "RollingKVCache", "causal_mask_lower_right",
             "sliding_window_mask", "decode_step"}
# Names whose checks may skip: transformers ships no function for the layout permutation (its
# LLaMA converter script is not part of the package), and these files also read three names of
# other components that transformers has no LLaMA counterpart of (the ReLU FFN, cross-attention,
# bare scaled dot-product attention).
ABSENT = {"interleaved_to_halves", "FeedForward", "CrossAttention", "scaled_dot_product_attention"}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return run_library("hf-attention", tmp_path_factory.mktemp("hf-attention") / "report.json")


def test_no_check_rejects_hugging_faces_rope_attention_or_caches(report):
    failed = {node: entry["message"] for node, entry in report["checks"].items() if entry["outcome"] == "failed"}
    assert not failed, json.dumps(failed, indent=1)
    assert report["returncode"] == 0, report["stdout"][-3000:]


def test_every_name_the_sections_provide_is_exercised_and_only_the_absent_ones_skip(report):
    from qbank.bank.checks import check_functions

    reads = check_functions(ROOT)
    passed = {node for node, entry in report["checks"].items() if entry["outcome"] == "passed"}
    exercised = set().union(*(reads[node] for node in passed))
    assert exercised >= EXERCISED, f"no passing check read {EXERCISED - exercised}"
    for node, entry in report["checks"].items():
        if entry["outcome"] == "skipped":
            assert any(f"'{name}'" in entry["message"] for name in ABSENT), (node, entry["message"])
    import qbank.adapters.huggingface as adapter

    assert not any(hasattr(adapter, name) for name in ABSENT), "a name listed as absent is provided"


def test_the_reference_attention_and_cache_equal_llama_attention_and_dynamic_cache_with_copied_weights():
    import torch
    from transformers.cache_utils import DynamicCache
    from transformers.models.llama.modeling_llama import LlamaAttention, LlamaRotaryEmbedding

    import qbank.adapters.huggingface as adapter
    from solutions.gqa import GroupedQueryAttention
    from solutions.kv_cache import KVCache, decode_step

    torch.manual_seed(0)
    D, H, Hkv, T = 32, 8, 2, 9
    ours = GroupedQueryAttention(D, H, Hkv, rope_base=10000.0).double()
    config = adapter.llama_config(D, H, Hkv)
    theirs = LlamaAttention(config, layer_idx=0).double()
    for mine, name in ((ours.q_proj, "q_proj"), (ours.k_proj, "k_proj"), (ours.v_proj, "v_proj"), (ours.out_proj, "o_proj")):
        getattr(theirs, name).weight.data.copy_(mine.weight.data)
    rotary = LlamaRotaryEmbedding(config)
    x = torch.randn(2, T, D, dtype=torch.float64)
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    # full causal forward: transformers computes its rotary angles in float32, hence the tolerance
    table = rotary(x, torch.arange(T)[None])
    expected, _ = theirs(x, position_embeddings=table, attention_mask=causal[None, None])
    torch.testing.assert_close(ours(x, causal), expected, rtol=1e-5, atol=1e-5)
    # cached decoding, one position at a time, against transformers' own DynamicCache
    ours_cache, their_cache, steps, their_steps = KVCache(), DynamicCache(), [], []
    for t in range(T):
        steps.append(decode_step(ours, x[:, t:t + 1], ours_cache))
        out, _ = theirs(x[:, t:t + 1], position_embeddings=rotary(x, torch.tensor([[t]])), attention_mask=None,
                        cache=their_cache)
        their_steps.append(out)
    torch.testing.assert_close(torch.cat(steps, 1), torch.cat(their_steps, 1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(ours_cache.k, their_cache.layers[0].keys, rtol=1e-5, atol=1e-5)
