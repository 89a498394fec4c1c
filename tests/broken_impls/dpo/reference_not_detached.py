"""DPO loss that lets the gradient reach the reference log-probabilities (no detach): training would move the anchor."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits, input_ids, loss_mask):
    log_p = torch.log_softmax(logits[:, :-1], dim=-1)
    token = log_p.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return token.masked_fill(~loss_mask[:, 1:], 0.0).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta):
    margin = beta * ((policy_chosen - reference_chosen) - (policy_rejected - reference_rejected))
    return -F.logsigmoid(margin).mean()


MUST_FAIL = {
    "checks/test_dpo.py::test_no_gradient_reaches_the_reference_log_probabilities",
}
