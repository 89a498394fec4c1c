"""Claims about direct preference optimisation (questions/llm/direct-preference-optimization.yaml).

The implementation under test is `impl.sequence_logprob` and `impl.dpo_loss`. The oracles are
PyTorch's own functions in float64: F.cross_entropy (per token) for the log-probabilities,
F.logsigmoid for the loss, autograd for the gradients. The closed-form maximiser of the
KL-regularised objective, which DPO rests on, is checked by autograd (stationary on the simplex)
and against 2,000 other distributions. Logits reach ±3000 and margins ±10⁴, where log(softmax)
and log(sigmoid) underflow to −inf and only the stable forms survive.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn, seeds

vocab = st.integers(2, 7)
betas = st.sampled_from([0.01, 0.1, 0.5, 2.0])


def _batch(B: int, T: int, V: int, spread: float, seed: int):
    """Logits [B, T, V] (up to ~±3·spread), input_ids [B, T] and a loss mask that leaves out a
    prompt of 1..T-2 tokens and right padding; each sequence keeps at least two response tokens
    (so a mean over them differs from their sum)."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64) * spread
    ids = torch.randint(V, (B, T), generator=g)
    prompt = torch.randint(1, T - 1, (B,), generator=g)  # 1 .. T-2 prompt tokens
    length = prompt + 2 + (torch.rand(B, generator=g) * (T - 1 - prompt)).long()  # >= 2 response tokens
    t = torch.arange(T)
    loss_mask = (t >= prompt[:, None]) & (t < length[:, None])
    return logits, ids, loss_mask


def _sequence_oracle(logits, ids, loss_mask):
    """Σ over the response's tokens of log p(token_t | tokens_<t): F.cross_entropy per token on
    the logits shifted by one, prompt and padding labelled ignore_index (they give 0)."""
    B, T, V = logits.shape
    labels = ids.masked_fill(~loss_mask, -100)[:, 1:]
    per_token = F.cross_entropy(logits[:, :-1].reshape(-1, V), labels.reshape(-1), reduction="none")
    return -per_token.view(B, T - 1).sum(-1)


def _pairs(n: int, spread: float, seed: int):
    """(policy_chosen, policy_rejected, reference_chosen, reference_rejected): [N] float64 sequence
    log-probabilities in (−3·spread, 0], all different."""
    return tuple(-spread * randn(n, seed=seed + i).abs() for i in range(4))


def _dpo_oracle(pc, pr, rc, rr, beta):
    return -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()


# ------------------------------------------------------------------ sequence log-probabilities


@given(st.integers(1, 3), st.integers(3, 7), vocab, st.sampled_from([1.0, 1000.0]), seeds)
@example(B=2, T=5, V=4, spread=1000.0, seed=0)  # gaps past ~745: softmax underflows to 0, log of it to −inf
def test_a_sequence_log_probability_sums_each_response_tokens_log_probability_given_the_tokens_before_it(
        impl, B, T, V, spread, seed):
    logits, ids, loss_mask = _batch(B, T, V, spread, seed)
    got = impl.sequence_logprob(logits, ids, loss_mask)
    expected = _sequence_oracle(logits, ids, loss_mask)
    assert_close(got, expected, msg=lambda m: (
        f"sequence_logprob must be, for each sequence, the SUM over its response tokens t (loss_mask True) of "
        f"log softmax(logits[:, t - 1])[input_ids[:, t]]: the logits at t - 1 predict the token at t. "
        f"Got {got.tolist()}, expected {expected.tolist()} (response lengths {loss_mask.sum(-1).tolist()}). {m}"))


@given(st.integers(1, 3), st.integers(3, 7), vocab, seeds)
def test_the_prompt_and_the_padding_do_not_count_in_a_sequence_log_probability(impl, B, T, V, seed):
    logits, ids, loss_mask = _batch(B, T, V, 2.0, seed)
    before = impl.sequence_logprob(logits, ids, loss_mask)
    predicts_response = torch.zeros_like(loss_mask)
    predicts_response[:, :-1] = loss_mask[:, 1:]  # position t is used iff token t + 1 is a response token
    other = randn(B, T, V, seed=seed + 1) * 50  # anything at the other positions
    changed = torch.where(predicts_response[..., None], logits, other)
    ids_changed = torch.where(loss_mask, ids, (ids + 1) % V)  # and other prompt and padding tokens
    after = impl.sequence_logprob(changed, ids_changed, loss_mask)
    assert_close(after, before, msg=lambda m: (
        f"changing the prompt's and the padding's tokens, and the logits at the positions that predict them, "
        f"changed the result from {before.tolist()} to {after.tolist()}: only the response's tokens may count. {m}"))


# ------------------------------------------------------------------ the loss


@given(st.integers(1, 6), betas, st.sampled_from([1.0, 100.0, 5000.0]), seeds)
@example(n=3, beta=2.0, spread=5000.0, seed=0)  # margins of thousands: σ underflows to 0, log of it to −inf
def test_the_dpo_loss_is_the_mean_of_minus_log_sigmoid_of_beta_times_the_difference_of_log_ratios(
        impl, n, beta, spread, seed):
    pc, pr, rc, rr = _pairs(n, spread, seed)
    got = impl.dpo_loss(pc, pr, rc, rr, beta)
    expected = _dpo_oracle(pc, pr, rc, rr, beta)
    margins = beta * ((pc - rc) - (pr - rr))
    assert_close(got, expected, msg=lambda m: (
        f"β = {beta}: expected the mean over the {n} pairs of −log σ(β·[(log π(y_w) − log π_ref(y_w)) − "
        f"(log π(y_l) − log π_ref(y_l))]) = {expected.item():.6g}; got {got.item():.6g}. The margins were "
        f"{[round(x, 3) for x in margins.tolist()]}. {m}"))


@given(st.integers(1, 6), betas, seeds)
def test_when_the_policy_is_the_reference_the_loss_is_log_2_and_its_gradient_raises_the_chosen_and_lowers_the_rejected(
        impl, n, beta, seed):
    _, _, rc, rr = _pairs(n, 10.0, seed)
    pc, pr = rc.clone().requires_grad_(True), rr.clone().requires_grad_(True)
    loss = impl.dpo_loss(pc, pr, rc, rr, beta)
    assert_close(loss.detach(), torch.tensor(math.log(2), dtype=torch.float64), msg=lambda m: (
        f"with π = π_ref every margin is 0 and −log σ(0) = log 2 = {math.log(2):.4f}, whatever β = {beta}; "
        f"got {loss.item():.6g}. {m}"))
    loss.backward()
    step = torch.full((n,), beta / (2 * n), dtype=torch.float64)  # β σ(0) / N
    assert_close(pc.grad, -step, msg=lambda m: (
        f"∂loss/∂log π(y_w) must be −β/(2N) = {-beta / (2 * n):.6g} for each pair (descending it raises the "
        f"chosen response's log-probability); got {pc.grad.tolist()}. {m}"))
    assert_close(pr.grad, step, msg=lambda m: (
        f"∂loss/∂log π(y_l) must be +β/(2N) = {beta / (2 * n):.6g} (descending it lowers the rejected "
        f"response's); got {pr.grad.tolist()}. {m}"))


@given(st.integers(1, 6), betas, st.sampled_from([1.0, 30.0]), seeds)
def test_the_gradient_weights_each_pair_by_sigmoid_of_minus_its_margin_so_wrongly_ranked_pairs_count_most(
        impl, n, beta, spread, seed):
    pc, pr, rc, rr = _pairs(n, spread, seed)
    pc, pr = pc.requires_grad_(True), pr.requires_grad_(True)
    impl.dpo_loss(pc, pr, rc, rr, beta).backward()
    with torch.no_grad():
        margins = beta * ((pc - rc) - (pr - rr))
        weight = beta * torch.sigmoid(-margins) / n  # ∂(−log σ(m))/∂m = −σ(−m); ∂m/∂log π(y_w) = β
    assert_close(pc.grad, -weight, msg=lambda m: (
        f"∂loss/∂log π(y_w) must be −β·σ(−margin)/N per pair: close to −β/N where the implicit rewards rank the "
        f"pair wrongly (margin < 0), close to 0 where they already rank it right. Margins "
        f"{[round(x, 3) for x in margins.tolist()]}: expected {(-weight).tolist()}, got {pc.grad.tolist()}. {m}"))
    assert_close(pr.grad, weight, msg=lambda m: (
        f"∂loss/∂log π(y_l) must be +β·σ(−margin)/N per pair; expected {weight.tolist()}, got {pr.grad.tolist()}. {m}"))


def test_no_gradient_reaches_the_reference_log_probabilities(impl):
    pc, pr, rc, rr = _pairs(4, 5.0, seed=7)
    pc, pr = pc.requires_grad_(True), pr.requires_grad_(True)
    rc, rr = rc.requires_grad_(True), rr.requires_grad_(True)  # as if computed by a model that tracks gradients
    grads = torch.autograd.grad(impl.dpo_loss(pc, pr, rc, rr, 0.1), (pc, rc, rr), allow_unused=True)
    assert grads[0] is not None and grads[0].abs().sum() > 0, "the policy's log-probabilities must get a gradient"
    for name, g in (("reference_chosen", grads[1]), ("reference_rejected", grads[2])):
        assert g is None or (g == 0).all(), (
            f"{name} got a gradient {g.tolist()}: the reference is frozen, so detach it (or compute it under "
            f"torch.no_grad()); otherwise training moves the reference and the KL anchor with it")


# ------------------------------------------------------------------ where the loss comes from


def _objective(pi: torch.Tensor, r: torch.Tensor, log_ref: torch.Tensor, beta: float) -> torch.Tensor:
    """E_π[r] − β·KL(π ‖ π_ref) for distributions π over K outcomes (rows of `pi`)."""
    return (pi * r).sum(-1) - beta * (pi * (pi.log() - log_ref)).sum(-1)


@given(st.integers(2, 6), st.sampled_from([0.1, 0.5, 2.0]), seeds)
def test_the_kl_regularised_reward_maximiser_is_the_reference_reweighted_by_exp_of_reward_over_beta(K, beta, seed):
    r = randn(K, seed=seed)
    log_ref = torch.log_softmax(randn(K, seed=seed + 1), 0)
    star = torch.softmax(log_ref + r / beta, 0).requires_grad_(True)  # π_ref · exp(r/β) / Z
    best = _objective(star, r, log_ref, beta)
    (grad,) = torch.autograd.grad(best, star)
    # stationary on the simplex: every direction that keeps Σπ = 1 has zero slope (equal partial derivatives).
    # Each is r − β(log π* − log π_ref + 1) = β log Z − β. Measured over 3,000 cases: at most 1.8e-15 apart
    # here, at least 7e-5 for π_ref·exp(rβ)/Z or exp(r/β)/Z (the reference left out); 1e-9 lies between
    assert_close(grad - grad.mean(), torch.zeros(K, dtype=torch.float64), rtol=0, atol=1e-9)
    # and the maximum (the objective is strictly concave in π): no distribution does better, neither random
    # ones nor small moves away from π* (1000 of each)
    g = torch.Generator().manual_seed(seed)
    others = torch.distributions.Dirichlet(torch.ones(K, dtype=torch.float64)).sample((1000,))
    nearby = torch.softmax(torch.log(star.detach()) + 1e-3 * torch.randn(1000, K, generator=g, dtype=torch.float64), -1)
    for pis in (others, nearby):  # 1e-12: float64 rounding of objectives of size ~1-50 (~1e-14), not a margin
        assert (_objective(pis, r, log_ref, beta) <= best.detach() + 1e-12).all()
    # its value is β·log Z, so r = β·log(π*/π_ref) + β·log Z: the reward is the log-ratio up to a constant
    log_z = torch.logsumexp(log_ref + r / beta, 0)
    assert_close(best.detach(), beta * log_z)
    assert_close(beta * (star.detach().log() - log_ref) + beta * log_z, r)


@given(st.integers(3, 6), st.integers(1, 6), st.sampled_from([0.1, 0.5, 2.0]), seeds)
def test_at_the_kl_optimal_policy_the_dpo_loss_is_the_bradley_terry_loss_of_the_true_reward(impl, K, n, beta, seed):
    r = randn(K, seed=seed)
    log_ref = torch.log_softmax(randn(K, seed=seed + 1), 0)
    log_opt = torch.log_softmax(log_ref + r / beta, 0)  # π* (the previous check proves it the optimum)
    g = torch.Generator().manual_seed(seed)
    w, l = torch.randint(K, (n,), generator=g), torch.randint(K, (n,), generator=g)
    got = impl.dpo_loss(log_opt[w], log_opt[l], log_ref[w], log_ref[l], beta)
    bradley_terry = -F.logsigmoid(r[w] - r[l]).mean()  # the reward model's loss on the same pairs
    assert_close(got, bradley_terry, msg=lambda m: (
        f"at π* = π_ref·exp(r/β)/Z the implicit reward difference β·Δlog-ratio equals the true r(y_w) − r(y_l) "
        f"(Z cancels), so the DPO loss must equal −mean log σ(r(y_w) − r(y_l)) = {bradley_terry.item():.6g}; "
        f"got {got.item():.6g}. {m}"))
