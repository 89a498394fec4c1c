"""Distillation loss with the KL the wrong way round: KL(student ‖ teacher), F.kl_div's arguments swapped."""

import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, temperature, target=None, hard_weight=0.0):
    T = temperature
    log_p_s = F.log_softmax(student_logits / T, -1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, -1)
    soft = F.kl_div(log_p_t, log_p_s, reduction="batchmean", log_target=True) * T ** 2  # input and target swapped
    hard = F.cross_entropy(student_logits, target) if hard_weight else 0.0
    return (1 - hard_weight) * soft + hard_weight * hard


MUST_FAIL = {
    "checks/test_distillation.py::test_the_soft_loss_is_t_squared_times_kl_from_the_teacher_to_the_student_at_temperature_t",
    "checks/test_distillation.py::test_at_temperature_1_without_hard_labels_the_loss_is_the_kl_divergence_from_teacher_to_student",
    "checks/test_distillation.py::test_the_gradient_on_the_student_logits_is_t_times_p_s_minus_p_t_over_n",
    "checks/test_distillation.py::test_the_loss_has_the_gradient_of_cross_entropy_against_the_teachers_soft_targets",
}
