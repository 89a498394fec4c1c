"""Causal-LM loss without the shift: the logits at t are scored against the token at t itself."""

import torch.nn.functional as F

from solutions.cross_entropy import bits_per_byte, cross_entropy, perplexity  # noqa: F401


def causal_lm_loss(logits, input_ids, loss_mask=None, num_items_in_batch=None):
    labels = input_ids if loss_mask is None else input_ids.masked_fill(~loss_mask, -100)
    V = logits.size(-1)
    loss = F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), reduction="sum")  # no [:, :-1] / [:, 1:]
    count = (labels != -100).sum() if num_items_in_batch is None else num_items_in_batch
    return loss / count


MUST_FAIL = {
    "checks/test_cross_entropy.py::test_causal_lm_loss_scores_the_logits_at_t_against_the_token_at_t_plus_1_leaving_out_prompt_and_padding",
    "checks/test_cross_entropy.py::test_causal_lm_loss_gradient_reaches_only_positions_whose_next_token_is_a_target",
    "checks/test_cross_entropy.py::test_averaging_micro_batch_means_misweights_tokens_and_dividing_by_the_batch_token_count_fixes_it",
}
