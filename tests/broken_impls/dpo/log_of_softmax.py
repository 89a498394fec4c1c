"""Sequence log-probability as log(softmax(logits)): for logits hundreds apart softmax underflows to 0 and the log to -inf."""

import torch
import torch.nn.functional as F


def sequence_logprob(logits, input_ids, loss_mask):
    log_p = torch.log(torch.softmax(logits[:, :-1], dim=-1))
    token = log_p.gather(-1, input_ids[:, 1:, None]).squeeze(-1)
    return torch.where(loss_mask[:, 1:], token, 0.0).sum(-1)


def dpo_loss(policy_chosen, policy_rejected, reference_chosen, reference_rejected, beta):
    margin = beta * ((policy_chosen - reference_chosen.detach()) - (policy_rejected - reference_rejected.detach()))
    return -F.logsigmoid(margin).mean()


MUST_FAIL = {
    "checks/test_dpo.py::test_a_sequence_log_probability_sums_each_response_tokens_log_probability_given_the_tokens_before_it",
}
