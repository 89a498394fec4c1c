"""Distillation loss that also divides the logits by T in the hard-label cross-entropy."""

import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, temperature, target=None, hard_weight=0.0):
    T = temperature
    student_T = student_logits / T  # reused for both terms
    soft = F.kl_div(F.log_softmax(student_T, -1), F.log_softmax(teacher_logits.detach() / T, -1),
                    reduction="batchmean", log_target=True) * T ** 2
    hard = F.cross_entropy(student_T, target) if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


MUST_FAIL = {
    "checks/test_distillation.py::test_the_hard_label_term_is_cross_entropy_at_temperature_1_mixed_in_with_weight_hard_weight",
}
