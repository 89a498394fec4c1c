"""Distillation loss that lets the gradient flow into the teacher's logits (the teacher is not detached)."""

import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, temperature, target=None, hard_weight=0.0):
    T = temperature
    soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.log_softmax(teacher_logits / T, -1),  # no .detach()
                    reduction="batchmean", log_target=True) * T ** 2
    hard = F.cross_entropy(student_logits, target) if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


MUST_FAIL = {
    "checks/test_distillation.py::test_no_gradient_reaches_the_teacher_logits",
}
