"""logsumexp subtracts the maximum but does not guard a row that is all -inf: -inf - (-inf)
is NaN, so a fully masked row gives NaN instead of -inf."""

import torch

from solutions.softmax import attention_block, merge_blocks, softmax, tiled_attention


def logsumexp(x, dim=-1):
    m = x.amax(dim=dim, keepdim=True)
    return (m + torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))).squeeze(dim)


MUST_FAIL = {
    "checks/test_softmax.py::test_logsumexp_matches_torch_for_huge_scores_and_is_minus_infinity_for_a_row_of_minus_infinities",
}
