"""softmax and logsumexp straight from the formula, without subtracting the maximum: exp
overflows (float16 above 11.09, float64 above 709.8) and the result is inf / inf = NaN."""

import torch

from solutions.softmax import attention_block, merge_blocks, tiled_attention


def softmax(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def logsumexp(x, dim=-1):
    return torch.log(torch.exp(x).sum(dim=dim))


MUST_FAIL = {
    "checks/test_softmax.py::test_softmax_never_overflows_in_any_float_dtype_and_matches_float64",
    "checks/test_softmax.py::test_softmax_is_unchanged_by_adding_one_constant_to_every_score",
    "checks/test_softmax.py::test_logsumexp_matches_torch_for_huge_scores_and_is_minus_infinity_for_a_row_of_minus_infinities",
}
