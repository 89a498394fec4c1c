"""Distillation loss that takes log(softmax(·)) instead of log_softmax: log 0 = −inf for large logits."""

import torch


def distillation_loss(student_logits, teacher_logits, temperature, target=None, hard_weight=0.0):
    T = temperature
    p_s = torch.softmax(student_logits / T, -1)
    p_t = torch.softmax(teacher_logits.detach() / T, -1)
    soft = (p_t * (torch.log(p_t) - torch.log(p_s))).sum(-1).mean() * T ** 2  # 0 · log 0 = NaN, log(0) = −inf
    hard = -torch.log(torch.softmax(student_logits, -1)).gather(-1, target[:, None]).mean() if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


MUST_FAIL = {
    "checks/test_distillation.py::test_the_soft_loss_is_t_squared_times_kl_from_the_teacher_to_the_student_at_temperature_t",
}
