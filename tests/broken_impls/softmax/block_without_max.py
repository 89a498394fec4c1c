"""Each block's state uses exp(s) with m = 0 ("the merge rescales anyway"): a block's scores in
the thousands overflow exp before any rescaling happens."""

import math

import torch

from solutions.softmax import logsumexp, merge_blocks, softmax


def attention_block(q, k, v):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    p = torch.exp(s)
    return torch.zeros_like(s[..., :1]), p.sum(dim=-1, keepdim=True), p @ v


def tiled_attention(q, k, v, block_size):
    state = None
    for start in range(0, k.size(-2), block_size):
        block = attention_block(q, k[..., start:start + block_size, :], v[..., start:start + block_size, :])
        state = block if state is None else merge_blocks(state, block)
    m, l, acc = state
    return acc / l


MUST_FAIL = {
    "checks/test_softmax.py::test_merging_block_states_is_associative_and_commutative",
    "checks/test_softmax.py::test_merging_the_block_states_of_any_split_of_the_keys_gives_exact_attention_and_its_log_sum_exp",
    "checks/test_softmax.py::test_tiled_attention_equals_full_attention_for_any_block_size",
}
