"""Knowledge distillation (Hinton, Vinyals and Dean 2015): a student learns the teacher's
whole distribution, softened by a temperature T, not only its top class.

    p_t = softmax(z_t / T),  p_s = softmax(z_s / T)
    soft = T² · (1/N) Σ_rows KL(p_t ‖ p_s) = T² · (1/N) Σ_rows Σ_v p_t,v (log p_t,v − log p_s,v)
    loss = (1 − hard_weight) · soft + hard_weight · CE(z_s, y)

∂ KL / ∂ z_s = (p_s − p_t) / T per row: one 1/T from the chain rule through z_s / T, and for
T much larger than the logits' spread p_s − p_t ≈ (centred z_s − centred z_t) / (V T), another.
So the KL's gradient on the logits falls as 1/T²; multiplying by T² keeps the soft term's
pull the same size at every T (and its balance with the hard term). The teacher is a fixed
target: its logits are detached. Shapes: N rows, V classes.
"""

import torch
from torch import Tensor


# --8<-- [start:distillation_loss]
def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float,
                      target: Tensor | None = None, hard_weight: float = 0.0) -> Tensor:
    T = temperature
    log_p_s = torch.log_softmax(student_logits / T, dim=-1)  # [N, V], stable for large logits
    log_p_t = torch.log_softmax(teacher_logits.detach() / T, dim=-1)  # the teacher gets no gradient
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()  # KL(teacher ‖ student): sum over V, mean over N
    loss = (1 - hard_weight) * T ** 2 * kl
    if hard_weight:
        log_p = torch.log_softmax(student_logits, dim=-1)  # hard labels at temperature 1
        loss = loss + hard_weight * -log_p.gather(-1, target[:, None]).mean()
    return loss
# --8<-- [end:distillation_loss]
