"""Top-k through torch.topk indices: exactly k tokens survive, and on a tie which ones depends on the token ids."""

import torch

from solutions.sampling import apply_temperature, sample_next_token, top_p_filter  # noqa: F401


def top_k_filter(logits, k):
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, logits.topk(k, dim=-1).indices, True)
    return logits.masked_fill(~keep, float("-inf"))


MUST_FAIL = {
    "checks/test_sampling.py::test_top_k_keeps_every_token_tied_with_the_kth_largest_so_token_order_does_not_matter",
}
