"""Claims about knowledge distillation (questions/training/knowledge-distillation.yaml).

The implementation under test is `impl.distillation_loss`. The oracles are PyTorch's own
functions in float64: F.kl_div (batchmean, log targets), torch.distributions' KL between
Categoricals, F.cross_entropy with probability targets and autograd. Logits are drawn up to
±1000, where log(softmax) underflows and only a log-softmax survives; temperatures run from
0.5 to 1024.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st
from torch.distributions import Categorical, kl_divergence
from torch.testing import assert_close

from checks.strategies import randn, seeds

rows = st.integers(1, 5)
classes = st.integers(2, 6)
temperatures = st.sampled_from([0.5, 1.0, 2.0, 4.0, 10.0])
spreads = st.sampled_from([1.0, 10.0, 300.0])  # logits up to ~±1000: exp underflows past a gap of ~745


def _logits(n: int, v: int, spread: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(student, teacher) logits [N, V], float64, different from each other."""
    return spread * randn(n, v, seed=seed), spread * randn(n, v, seed=seed + 1)


def _kl_oracle(student: torch.Tensor, teacher: torch.Tensor, T: float) -> torch.Tensor:
    """KL(softmax(teacher / T) ‖ softmax(student / T)) summed over V, averaged over rows: F.kl_div's batchmean."""
    return F.kl_div(F.log_softmax(student / T, -1), F.log_softmax(teacher / T, -1), reduction="batchmean",
                    log_target=True)


def _student_grad(impl, student: torch.Tensor, teacher: torch.Tensor, T: float) -> torch.Tensor:
    s = student.clone().requires_grad_(True)
    impl.distillation_loss(s, teacher, T).backward()
    return s.grad


# ------------------------------------------------------------------ the value


@given(rows, classes, temperatures, spreads, seeds)
@example(n=2, v=4, T=1.0, spread=300.0, seed=0)  # gaps of hundreds: softmax underflows to 0, log of it to −inf
def test_the_soft_loss_is_t_squared_times_kl_from_the_teacher_to_the_student_at_temperature_t(impl, n, v, T, spread,
                                                                                            seed):
    student, teacher = _logits(n, v, spread, seed)
    got = impl.distillation_loss(student, teacher, T)
    expected = T ** 2 * _kl_oracle(student, teacher, T)
    assert_close(got, expected, msg=lambda m: (
        f"T = {T}: expected T² · KL(softmax(teacher/T) ‖ softmax(student/T)), summed over the V classes and "
        f"averaged over the N = {n} rows (F.kl_div's batchmean); got {got.item():.6g}, expected {expected.item():.6g} "
        f"(KL alone {expected.item() / T ** 2:.6g}). {m}"))


@given(rows, classes, st.sampled_from([1.0, 10.0]), seeds)  # torch.distributions' KL itself gives inf past ~745
def test_at_temperature_1_without_hard_labels_the_loss_is_the_kl_divergence_from_teacher_to_student(impl, n, v,
                                                                                                    spread, seed):
    student, teacher = _logits(n, v, spread, seed)
    got = impl.distillation_loss(student, teacher, 1.0)
    expected = kl_divergence(Categorical(logits=teacher), Categorical(logits=student)).mean()
    assert_close(got, expected, msg=lambda m: (
        f"at T = 1 the loss is KL(teacher ‖ student) averaged over rows = {expected.item():.6g}; got {got.item():.6g} "
        f"(KL(student ‖ teacher) would be "
        f"{kl_divergence(Categorical(logits=student), Categorical(logits=teacher)).mean().item():.6g}). {m}"))


@given(rows, classes, temperatures, seeds)
def test_the_soft_loss_is_zero_when_the_student_equals_the_teacher_up_to_a_constant_per_row(impl, n, v, T, seed):
    teacher = randn(n, v, seed=seed)  # moderate logits: a one-hot teacher makes every KL round to 0
    shifted = teacher + 100 * randn(n, 1, seed=seed + 1)  # softmax ignores a constant added to a row
    assert_close(impl.distillation_loss(shifted, teacher, T), torch.zeros((), dtype=torch.float64),
                 msg=lambda m: f"same distribution, so KL = 0 at T = {T}: {m}")
    other = shifted + randn(n, v, seed=seed + 2)
    assert impl.distillation_loss(other, teacher, T) > 0, "a different student distribution must cost something"


@given(rows, classes, temperatures, st.sampled_from([0.1, 0.5, 0.9]), seeds)
def test_the_hard_label_term_is_cross_entropy_at_temperature_1_mixed_in_with_weight_hard_weight(impl, n, v, T, alpha,
                                                                                                seed):
    student, teacher = _logits(n, v, 3.0, seed)
    target = torch.randint(v, (n,), generator=torch.Generator().manual_seed(seed))
    got = impl.distillation_loss(student, teacher, T, target=target, hard_weight=alpha)
    soft, hard = T ** 2 * _kl_oracle(student, teacher, T), F.cross_entropy(student, target)
    expected = (1 - alpha) * soft + alpha * hard
    assert_close(got, expected, msg=lambda m: (
        f"(1 − {alpha}) · soft + {alpha} · CE(student, target) with CE at temperature 1 (not T = {T}): "
        f"soft = {soft.item():.6g}, CE = {hard.item():.6g}, expected {expected.item():.6g}, got {got.item():.6g}. {m}"))


# ------------------------------------------------------------------ the gradient


@given(rows, classes, temperatures, spreads, seeds)
def test_the_gradient_on_the_student_logits_is_t_times_p_s_minus_p_t_over_n(impl, n, v, T, spread, seed):
    student, teacher = _logits(n, v, spread, seed)
    got = _student_grad(impl, student, teacher, T)
    p_s, p_t = torch.softmax(student / T, -1), torch.softmax(teacher / T, -1)
    expected = T ** 2 * (p_s - p_t) / T / n  # KL's gradient (p_s − p_t) / T, times T², batch-averaged
    assert_close(got, expected, msg=lambda m: (
        f"T = {T}, N = {n}: ∂loss/∂z_s = T² · (p_s − p_t) / (T · N) = T (p_s − p_t) / N. {m}"))


@given(rows, classes, temperatures, spreads, seeds)
def test_the_loss_has_the_gradient_of_cross_entropy_against_the_teachers_soft_targets(impl, n, v, T, spread, seed):
    # KL(p_t ‖ p_s) = H(p_t, p_s) − H(p_t): the teacher's entropy does not depend on the student
    student, teacher = _logits(n, v, spread, seed)
    got = _student_grad(impl, student, teacher, T)
    s = student.clone().requires_grad_(True)
    (T ** 2 * F.cross_entropy(s / T, torch.softmax(teacher / T, -1))).backward()  # probability targets
    assert_close(got, s.grad, msg=lambda m: f"T = {T}: gradient of T² · CE(soft targets): {m}")


def test_no_gradient_reaches_the_teacher_logits(impl):
    student, teacher = _logits(3, 5, 2.0, seed=0)
    teacher = teacher.clone().requires_grad_(True)  # as when the teacher's forward pass was not run under no_grad
    student = student.clone().requires_grad_(True)
    impl.distillation_loss(student, teacher, 2.0).backward()
    leaked = None if teacher.grad is None else teacher.grad.abs().max().item()
    assert not leaked, (f"the teacher's logits received a gradient (max |grad| {leaked:.3g}): the teacher is a fixed "
                        "target, so detach its logits, or a trainable teacher drifts toward the student")
    assert student.grad is not None and student.grad.abs().max() > 0


def _logit_gap(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """The high-temperature limit of T² · ∂KL/∂z_s: (centred z_s − centred z_t) / (V · N), the gradient of
    logit matching Σ (centred z_s − centred z_t)² / (2 V N) (Hinton et al. 2015, section 2.1)."""
    n, v = student.shape
    gap = (student - student.mean(-1, keepdim=True)) - (teacher - teacher.mean(-1, keepdim=True))
    return gap / (v * n)


def test_without_the_t_squared_factor_the_kl_gradient_on_the_logits_falls_as_one_over_t_squared():
    student, teacher = _logits(4, 8, 1.0, seed=3)
    sizes = {}
    for T in (8.0, 16.0, 32.0, 64.0, 128.0, 256.0):
        s = student.clone().requires_grad_(True)
        _kl_oracle(s, teacher, T).backward()
        sizes[T] = s.grad.norm().item()
    ratios = [sizes[2 * T] / sizes[T] for T in (8.0, 16.0, 32.0, 64.0, 128.0)]
    # doubling T divides the gradient by 4: measured 0.2504, 0.2501, 0.25005, 0.25002, 0.25001
    assert all(abs(r - 0.25) < 0.005 for r in ratios), f"|∂KL/∂z_s|(2T) / |∂KL/∂z_s|(T) = {ratios}; 1/4 expected"
    limit = _logit_gap(student, teacher).norm().item()
    scaled = [sizes[T] * T ** 2 / limit for T in sizes]  # T² times the gradient tends to logit matching's
    assert abs(scaled[-1] - 1) < 0.001, f"T² · |∂KL/∂z_s| / |logit-matching gradient| = {scaled}"  # measured 0.99997


def test_with_the_t_squared_factor_the_gradient_keeps_its_size_and_tends_to_logit_matching(impl):
    student, teacher = _logits(4, 8, 1.0, seed=3)
    limit = _logit_gap(student, teacher)
    sizes = {}
    for T in (1.0, 4.0, 16.0, 64.0, 256.0, 1024.0):
        got = _student_grad(impl, student, teacher, T)
        sizes[T] = got.norm().item() / limit.norm().item()
        if T >= 64:
            # measured: largest difference 1.0 % of the largest entry at T = 64, 0.06 % at T = 1024 (it falls as 1/T)
            assert_close(got, limit, rtol=0, atol=4 / T * limit.abs().max().item(), msg=lambda m: (
                f"T = {T}: T² · KL's gradient should approach (centred z_s − centred z_t) / (V N): {m}"))
    spread = max(sizes.values()) / min(sizes.values())
    # measured 0.90 at T = 1, 0.992 at 4, then 1.000: spread 1.11; without T² it shrinks by 1024² ≈ 1e6
    assert spread < 1.5, f"|∂loss/∂z_s| / |logit-matching gradient| across T: {sizes}; T² should keep it constant"


def _bert_shape(layers: int, token_types: bool, pooler: bool) -> int:
    """Parameters of a BERT-base-shaped encoder (D 768, 12 heads, F 3072, vocabulary 30,522, 512 positions),
    built on the meta device: PyTorch's encoder layer holds exactly BERT's layer (attention with biases, a
    biased FFN, two LayerNorms)."""
    D, V, P = 768, 30522, 512
    with torch.device("meta"):
        parts = [torch.nn.TransformerEncoderLayer(D, 12, 3072, dropout=0.0, batch_first=True) for _ in range(layers)]
        # embedding tables given their (meta) weights: skipping normal_ on the meta device, which imports dynamo
        parts += [torch.nn.Embedding(n, D, _weight=torch.empty(n, D)) for n in (V, P, 2)[:3 if token_types else 2]]
        parts.append(torch.nn.LayerNorm(D))  # the embeddings' LayerNorm
        if pooler:
            parts.append(torch.nn.Linear(D, D))
    return sum(p.numel() for m in parts for p in m.parameters())


def test_distilbert_halves_berts_layers_but_keeps_its_embeddings_so_it_has_about_40_percent_fewer_parameters():
    bert = _bert_shape(12, token_types=True, pooler=True)
    distil = _bert_shape(6, token_types=False, pooler=False)  # Sanh et al. 2019: no token types, no pooler
    saved = 1 - distil / bert
    # measured: 109.5 M and 66.4 M, 39.4 % fewer (Sanh et al. report 110 M and 66 M, "40 % smaller")
    assert 109e6 < bert < 110e6 and 66e6 < distil < 67e6, f"BERT-base {bert:,}, DistilBERT {distil:,}"
    assert 0.38 < saved < 0.41, f"DistilBERT has {saved:.1%} fewer parameters; half the layers would suggest 50 %"
