"""Distillation loss with F.kl_div's reduction="mean": it divides by N·V, not by the N rows (batchmean)."""

import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, temperature, target=None, hard_weight=0.0):
    T = temperature
    soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.softmax(teacher_logits.detach() / T, -1),
                    reduction="mean") * T ** 2  # the default-looking reduction
    hard = F.cross_entropy(student_logits, target) if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


MUST_FAIL = {
    "checks/test_distillation.py::test_the_soft_loss_is_t_squared_times_kl_from_the_teacher_to_the_student_at_temperature_t",
    "checks/test_distillation.py::test_at_temperature_1_without_hard_labels_the_loss_is_the_kl_divergence_from_teacher_to_student",
    "checks/test_distillation.py::test_the_gradient_on_the_student_logits_is_t_times_p_s_minus_p_t_over_n",
    "checks/test_distillation.py::test_with_the_t_squared_factor_the_gradient_keeps_its_size_and_tends_to_logit_matching",
}
