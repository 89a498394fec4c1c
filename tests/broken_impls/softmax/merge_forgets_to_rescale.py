"""The online merge rescales the running sum but forgets the accumulator: acc keeps terms
relative to an older maximum, so the output is wrong whenever a later block has a larger score."""

import torch

from solutions.softmax import attention_block, logsumexp, softmax


def merge_blocks(a, b):
    (m_a, l_a, acc_a), (m_b, l_b, acc_b) = a, b
    m = torch.maximum(m_a, m_b)
    return m, l_a * torch.exp(m_a - m) + l_b * torch.exp(m_b - m), acc_a + acc_b


def tiled_attention(q, k, v, block_size):
    state = None
    for start in range(0, k.size(-2), block_size):
        block = attention_block(q, k[..., start:start + block_size, :], v[..., start:start + block_size, :])
        state = block if state is None else merge_blocks(state, block)
    m, l, acc = state
    return acc / l


MUST_FAIL = {
    "checks/test_softmax.py::test_merging_the_block_states_of_any_split_of_the_keys_gives_exact_attention_and_its_log_sum_exp",
    "checks/test_softmax.py::test_tiled_attention_equals_full_attention_for_any_block_size",
}
