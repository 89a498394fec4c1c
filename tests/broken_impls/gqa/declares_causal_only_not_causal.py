"""Declares `causal_only = True` (called as forward(x), with no mask) but never applies the
causal mask: every position reads the whole sequence, future included. The declaration
excuses nothing: the checks that compare it with PyTorch under the causal mask, and decoding
with a cache against the full causal forward, fail."""

import torch.nn.functional as F

from tests.capability_impls import llama_style

# other components the checks of this one run with (correct ones)
from solutions.gqa import grouped_query_attention  # noqa: F401
from solutions.kv_cache import KVCache, decode_step  # noqa: F401
from solutions.rope import apply_rope  # noqa: F401

MUST_FAIL = [
    "checks/test_gqa.py::test_the_module_equals_multi_head_attention_with_each_kv_head_repeated_for_its_group",
    "checks/test_gqa.py::test_with_rope_the_module_rotates_queries_and_keys_after_projecting_them_and_leaves_values_alone",
    "checks/test_kv_cache.py::test_decoding_one_position_at_a_time_with_the_cache_equals_the_full_causal_forward",
    "checks/test_kv_cache.py::test_prefilling_in_chunks_of_any_size_equals_the_full_causal_forward",
]


class GroupedQueryAttention(llama_style.GroupedQueryAttention):
    """tests/capability_impls/llama_style.py's module (causal_only = True, mask_format = None)
    with the one bug."""

    def forward(self, x):
        B, T, D = x.shape
        out = F.scaled_dot_product_attention(*self.heads(x), enable_gqa=True)  # the bug: is_causal=True is missing
        return self.out_proj(out.transpose(1, 2).reshape(B, T, D))
