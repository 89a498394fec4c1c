"""DPO loss as -log(sigmoid(margin)): for a margin of -1000 sigmoid underflows to 0 and the loss to inf."""

import torch


def sequence_logprob(logits, input_ids, loss_mask):
    log_p = torch.log_softmax(logits[:, :-1], dim=-1)
    token = log_p.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return token.masked_fill(~loss_mask[:, 1:], 0.0).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta):
    margin = beta * ((policy_chosen - reference_chosen.detach()) - (policy_rejected - reference_rejected.detach()))
    return -torch.log(torch.sigmoid(margin)).mean()


MUST_FAIL = {
    "checks/test_dpo.py::test_the_dpo_loss_is_the_mean_of_minus_log_sigmoid_of_beta_times_the_difference_of_log_ratios",
}
