"""DPO loss summed over the pairs instead of averaged: its size, and the gradient's, grow with the batch."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits, input_ids, loss_mask):
    log_p = torch.log_softmax(logits[:, :-1], dim=-1)
    token = log_p.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return token.masked_fill(~loss_mask[:, 1:], 0.0).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta):
    margin = beta * ((policy_chosen - reference_chosen.detach()) - (policy_rejected - reference_rejected.detach()))
    return -F.logsigmoid(margin).sum()


MUST_FAIL = {
    "checks/test_dpo.py::test_the_dpo_loss_is_the_mean_of_minus_log_sigmoid_of_beta_times_the_difference_of_log_ratios",
    "checks/test_dpo.py::test_when_the_policy_is_the_reference_the_loss_is_log_2_and_its_gradient_raises_the_chosen_and_lowers_the_rejected",
    "checks/test_dpo.py::test_the_gradient_weights_each_pair_by_sigmoid_of_minus_its_margin_so_wrongly_ranked_pairs_count_most",
    "checks/test_dpo.py::test_at_the_kl_optimal_policy_the_dpo_loss_is_the_bradley_terry_loss_of_the_true_reward",
}
