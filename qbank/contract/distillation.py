"""The contract of the `distillation` component: the knowledge-distillation loss (Hinton et al. 2015)."""

from qbank.contract.model import component

COMPONENT = component(
    "distillation", "Knowledge distillation",
    "Train a student on a teacher's softened distribution: T² · KL(teacher_T ‖ student_T), optionally mixed "
    "with the hard-label cross-entropy. N is the number of rows (tokens or examples), V the number of classes.",
    ("distillation_loss", "function", '''
def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, temperature: float,
                      target: Tensor | None = None, hard_weight: float = 0.0) -> Tensor:
    """Hinton et al.'s loss:

        soft = T² · mean over the N rows of KL(softmax(teacher / T) ‖ softmax(student / T))
        loss = (1 − hard_weight) · soft + hard_weight · CE(student, target)

    student_logits, teacher_logits: [N, V]   target: [N] int64, or None when hard_weight == 0
    temperature T > 0. KL(p ‖ q) = Σ_v p_v (log p_v − log q_v): the teacher's distribution p
    is the one the expectation is taken under (F.kl_div(log q, p, reduction="batchmean")).
    "mean over the rows" is batchmean: the sum over V, averaged over N (not over N·V).
    The T² factor keeps the soft term's gradient the same size at every T.
    CE is the ordinary cross-entropy at temperature 1 (mean over rows, as F.cross_entropy).
    The teacher is a fixed target: no gradient may reach teacher_logits.
    Must be stable for large logits (use log_softmax, never log(softmax)).
    returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
)
