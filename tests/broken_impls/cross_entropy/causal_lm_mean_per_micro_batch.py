"""The causal-LM loss always averages over its own micro-batch (num_items_in_batch ignored): the gradient-accumulation bug."""

import torch.nn.functional as F

from solutions.cross_entropy import bits_per_byte, cross_entropy, perplexity  # noqa: F401


def causal_lm_loss(logits, input_ids, loss_mask=None, num_items_in_batch=None):
    labels = input_ids if loss_mask is None else input_ids.masked_fill(~loss_mask, -100)
    V = logits.size(-1)
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1))  # the micro-batch's own mean


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_averaging_micro_batch_means_misweights_tokens_and_dividing_by_the_batch_token_count_fixes_it",
}
