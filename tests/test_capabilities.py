"""Declared capabilities (checks/capabilities.py) let the checks grade real code bases.

Two code bases are graded: a GPT-2-style one (attention, masking, encoder layer) and a
LLaMA-inference-style one (grouped-query attention, KV cache, sliding window).

tests/capability_impls/gpt2_style.py is written as a GPT-2-style code base would be: a fused
`qkv_proj`, causal-only self-attention taking an additive [B, 1, T, S] mask, and a pre-norm-only
encoder layer whose masks are `is_pad`-style (True = blocked) with a head axis. One pytest
session runs the attention, masking and encoder-layer checks on it: none may fail, every
skip other than a missing contract name must name the declaration it follows from, and the
facts that do not depend on the missing capabilities (parameter counts, FLOPs, equality with
PyTorch under the causal mask, causal reach) must have passed. The broken counterparts, a
module that declares causal_only but is not causal and one whose fused split puts K before Q,
are in tests/broken_impls/multi_head/ (the kill matrix shows they fail).

tests/capability_impls/llama_style.py has a grouped-query attention that is causal-only and
takes no mask at all (forward(x), SDPA with is_causal=True): the GQA and KV-cache facts must
still run and pass under the causal mask, and the checks that need any other mask (a sliding
window) skip naming `mask_format = None`. Its broken counterpart, declaring causal_only
without being causal, is tests/broken_impls/gqa/declares_causal_only_not_causal.py.
"""

from pathlib import Path

import pytest

from checks import capabilities as caps
from tests.proof_runs import run_code_base

ROOT = Path(__file__).resolve().parents[1]
MH, MASK, ENC = "checks/test_multi_head.py::", "checks/test_masking.py::", "checks/test_encoder_layer.py::"

# facts a causal-only, fused, pre-norm-only code base must still be graded on
MUST_PASS = {
    MH + "test_with_dk_d_over_h_multi_head_has_the_parameters_of_one_full_width_head",
    MH + "test_with_dk_d_over_h_multi_head_self_attention_costs_the_flops_of_one_full_width_head",
    MH + "test_multi_head_attention_matches_torch_multihead_attention",  # under the causal mask
    MH + "test_masked_multi_head_attention_matches_torch_multihead_attention",  # causal & a drawn mask
    MH + "test_one_fused_projection_then_reshape_equals_h_separate_per_head_projections",
    MH + "test_the_mask_of_each_sequence_applies_to_every_head",
    MASK + "test_causal_output_at_t_depends_on_every_token_up_to_t_and_on_none_after",
    MASK + "test_masked_multi_head_attention_matches_torch_multihead_attention_with_key_padding_mask",
    MASK + "test_combined_causal_and_padding_mask_equals_applying_both",
    ENC + "test_a_base_encoder_layer_has_3152384_parameters",
    ENC + "test_an_encoder_layer_has_4d2_plus_2df_plus_9d_plus_f_parameters_as_pytorchs_does",
    ENC + "test_encoder_layer_matches_torch_transformer_encoder_layer_with_and_without_a_mask",
    ENC + "test_with_a_padding_mask_the_outputs_at_real_tokens_ignore_the_padding_tokens",
    ENC + "test_pre_norm_layer_output_minus_its_two_sublayer_outputs_is_the_input",
}
# claims that truly need what the code base declares it lacks
MUST_SKIP = {
    MH + "test_two_heads_take_different_features_from_different_tokens_where_one_head_cannot": "causal_only",
    ENC + "test_the_default_placement_is_post_norm_as_in_the_original_transformer_and_in_pytorch": "norm_placements",
    ENC + "test_a_post_norm_layer_whose_sublayers_end_in_zero_weights_is_layernorm_twice_not_the_identity":
        "norm_placements",
}


GQA, KV, SW = "checks/test_gqa.py::", "checks/test_kv_cache.py::", "checks/test_sliding_window.py::"
LLAMA_MUST_PASS = {
    GQA + "test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group",  # causal mask
    GQA + "test_with_rope_the_module_rotates_queries_and_keys_after_projecting_them_and_leaves_values_alone",
    GQA + "test_by_default_no_projection_has_a_bias_as_in_llama",
    KV + "test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    KV + "test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
}
LLAMA_MUST_SKIP = {
    GQA + "test_with_as_many_kv_heads_as_query_heads_the_module_is_multi_head_attention": "mask_format",
    SW + "test_stacked_windowed_layers_see_l_times_w_minus_1_positions_back": "mask_format",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:  # tests/proof_runs.py: the code base on its check files, whole
    return run_code_base("gpt2-style", tmp_path_factory.mktemp("caps") / "report.json")["checks"]


@pytest.fixture(scope="module")
def graded_llama(tmp_path_factory) -> dict:
    return run_code_base("llama-style", tmp_path_factory.mktemp("caps") / "report.json")["checks"]


CODE_BASES = {"gpt2": ("graded", MUST_PASS, MUST_SKIP), "llama": ("graded_llama", LLAMA_MUST_PASS, LLAMA_MUST_SKIP)}


@pytest.mark.parametrize("code_base", CODE_BASES)
def test_a_real_style_code_base_fails_no_check(code_base, request):
    graded = request.getfixturevalue(CODE_BASES[code_base][0])
    failed = {node: entry["message"] for node, entry in graded.items() if entry["outcome"] == "failed"}
    assert not failed, failed


@pytest.mark.parametrize("code_base", CODE_BASES)
def test_facts_that_do_not_need_the_missing_capabilities_still_run_and_pass(code_base, request):
    fixture, must_pass, _ = CODE_BASES[code_base]
    graded = request.getfixturevalue(fixture)
    outcome = {node: graded.get(node, {}).get("outcome", "not run") for node in must_pass}
    assert all(o == "passed" for o in outcome.values()), {n: o for n, o in outcome.items() if o != "passed"}


@pytest.mark.parametrize("code_base", CODE_BASES)
def test_every_skip_names_the_missing_contract_name_or_the_declaration(code_base, request):
    fixture, _, must_skip = CODE_BASES[code_base]
    graded = request.getfixturevalue(fixture)
    skipped = {node: entry["message"] for node, entry in graded.items() if entry["outcome"] == "skipped"}
    unexplained = {node: m for node, m in skipped.items()
                   if "does not provide" not in m and " declares " not in m}
    assert not unexplained, unexplained
    for node, attribute in must_skip.items():
        assert node in skipped and f"declares {attribute} = " in skipped[node], (node, graded.get(node))


# -- the declarations themselves ----------------------------------------------------------------

def test_an_unknown_declared_value_is_an_error_naming_the_attribute_the_value_and_the_allowed_ones():
    cases = [("mask_format", "float", "'additive'"), ("norm_placements", "pre", "('pre',)"),
             ("norm_placements", ("pre", "sandwich"), "('pre',)"), ("causal_only", "yes", "True or False"),
             ("mask_head_axis", 1, "True or False")]
    for attribute, value, allowed in cases:
        declaring = type("Attention", (), {attribute: value})
        with pytest.raises(caps.CapabilityError) as error:
            caps.declared(declaring)
        message = str(error.value)
        assert f"Attention.{attribute} = {value!r}" in message and allowed in message, message


def test_the_defaults_are_todays_contract():
    assert caps.declared(type("Plain", (), {})) == caps.Capabilities(
        fused=False, mask_format="bool", mask_head_axis=False, causal_only=False, norm_placements=("pre", "post"))


def test_a_module_with_both_layouts_is_refused():
    import torch.nn as nn

    both = nn.Module()
    both.qkv_proj, both.q_proj = nn.Linear(4, 12), nn.Linear(4, 4)
    with pytest.raises(caps.CapabilityError, match="both qkv_proj and separate"):
        caps.declared(both)
