"""Claims about the language-modelling loss (questions/training/cross-entropy-and-perplexity.yaml,
questions/training/causal-lm-loss.yaml): cross-entropy from logits, its stability, ignore_index and
label smoothing, perplexity, bits per byte, the shifted and masked causal-LM loss, and the
gradient-accumulation pitfall.

Oracle: PyTorch's own F.cross_entropy in float64 (for the causal-LM loss, on labels shifted and
masked by the check). The causal-LM comparisons allow 1e-6: Hugging Face's ForCausalLMLoss, which
tests/test_adapter_hf_generation.py grades with these checks, casts the logits to float32; every
wrong shift, mask or count moves the loss on these inputs by more than 1e-2.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn, seeds

vocab = st.integers(2, 7)
epsilons = st.sampled_from([0.0, 0.1, 0.3])


def _targets(N: int, V: int, seed: int, ignore_index: int) -> torch.Tensor:
    """[N] targets in 0..V-1, about a third of them set to ignore_index, at least one kept."""
    g = torch.Generator().manual_seed(seed)
    target = torch.randint(V, (N,), generator=g)
    target[torch.rand(N, generator=g) < 1 / 3] = ignore_index
    target[0] = 1 if ignore_index == 0 else 0  # one row is always scored
    return target


@given(st.integers(1, 6), vocab, epsilons, st.sampled_from([-100, 0]), st.sampled_from([1.0, 10.0, 50.0]), seeds)
def test_cross_entropy_matches_torch_cross_entropy_with_ignore_index_and_label_smoothing(impl, N, V, eps, ignore_index,
                                                                                         scale, seed):
    logits = randn(N, V, seed=seed) * scale
    target = _targets(N, V, seed, ignore_index)
    ours = impl.cross_entropy(logits, target, ignore_index=ignore_index, label_smoothing=eps)
    expected = F.cross_entropy(logits, target, ignore_index=ignore_index, label_smoothing=eps)
    assert_close(ours, expected, rtol=1e-10, atol=1e-10,
                 msg=f"cross_entropy = {ours.item():.6f}, F.cross_entropy = {expected.item():.6f} "
                     f"(ignore_index={ignore_index}, label_smoothing={eps})")


def test_cross_entropy_is_finite_and_exact_for_huge_logits_and_in_float16(impl):
    target = torch.tensor([0, 3, 7, 11])
    # float64, logits ~1e4: exp overflows at 710, so only log-sum-exp with the max taken out survives
    huge = randn(4, 12, seed=0) * 1e4
    ours = impl.cross_entropy(huge, target)
    assert torch.isfinite(ours), f"cross_entropy of logits ~1e4 in float64 is {ours.item()}: exp overflowed"
    assert_close(ours, F.cross_entropy(huge, target), rtol=1e-12, atol=0)
    # float16 overflows at 65504 = e^11.09: logits ~300 are far past it; losses stay representable
    half = (randn(4, 12, seed=1) * 300).half()
    ours = impl.cross_entropy(half, target)
    expected = F.cross_entropy(half.double(), target)  # the same float16 values, in float64
    assert torch.isfinite(ours), f"cross_entropy of float16 logits ~300 is {ours.item()}: exp overflowed"
    assert_close(ours.double(), expected, rtol=1e-2, atol=1e-2,  # float16 keeps ~3 significant digits
                 msg=f"float16 cross_entropy = {ours.item()}, exact = {expected.item():.3f}")


def test_exp_overflows_float16_above_ln_of_its_largest_value_and_float64_above_709():
    for dtype in (torch.float16, torch.float32, torch.float64):
        limit = math.log(torch.finfo(dtype).max)  # 11.09, 88.72, 709.78
        below, above = torch.tensor([limit - 0.01, limit + 0.01], dtype=torch.float64).to(dtype).exp().tolist()
        assert math.isfinite(below) and math.isinf(above), (dtype, limit, below, above)


@given(st.integers(1, 6), vocab, st.sampled_from([-1e3, 1.0, 1e3]), seeds)
def test_cross_entropy_is_unchanged_by_adding_the_same_constant_to_every_logit(impl, N, V, c, seed):
    # why subtracting the row maximum is allowed (and why log Z can drift unless a z-loss pins it)
    logits = randn(N, V, seed=seed) * 3
    target = _targets(N, V, seed, -100)
    shifted = impl.cross_entropy(logits + c, target)
    assert_close(shifted, impl.cross_entropy(logits, target), rtol=1e-9, atol=1e-9,
                 msg=f"adding {c} to every logit changed the loss to {shifted.item()}")


@given(st.integers(2, 6), vocab, seeds)
def test_ignored_targets_drop_out_of_the_sum_and_of_the_count(impl, N, V, seed):
    logits = randn(N, V, seed=seed)
    target = _targets(N, V, seed, -100)
    kept = target != -100
    assume(not kept.all())
    ours = impl.cross_entropy(logits, target)
    only_kept = impl.cross_entropy(logits[kept], target[kept])
    assert_close(ours, only_kept, rtol=1e-12, atol=1e-12,
                 msg=f"with {int((~kept).sum())} of {N} targets ignored the loss is {ours.item():.6f}, but on "
                     f"the {int(kept.sum())} scored rows alone it is {only_kept.item():.6f}: an ignored row "
                     f"must not count in the denominator")


@given(vocab, st.sampled_from([0.05, 0.1, 0.3]))
def test_label_smoothing_is_minimised_where_the_model_predicts_the_smoothed_target_spread_over_all_v_classes(impl, V,
                                                                                                               eps):
    target = torch.tensor([1])
    q = torch.full((1, V), eps / V, dtype=torch.float64)
    q[0, 1] += 1 - eps  # (1 - eps) one_hot + eps / V
    z = q.log().requires_grad_()  # softmax(z) = q
    loss = impl.cross_entropy(z, target, label_smoothing=eps)
    (grad,) = torch.autograd.grad(loss, z)
    assert grad.abs().max() < 1e-12, (
        f"the gradient at softmax(z) = (1 - eps) one_hot + eps/V is {grad.tolist()}, not 0: the smoothed "
        f"target is not (1 - eps) one_hot + eps/V (PyTorch spreads eps over all V classes, the target included)")
    assert_close(loss, -(q * q.log()).sum(), rtol=1e-12, atol=1e-12)  # the minimum of CE(q, p) is H(q)


@given(st.integers(1, 6), vocab, st.sampled_from([-100, 0]), seeds)
def test_perplexity_is_exp_of_the_mean_cross_entropy_and_a_uniform_model_has_perplexity_v(impl, N, V, ignore_index,
                                                                                          seed):
    # ignore_index -100 is left to the signature's default; 0 (a pad id) is passed, and must reach the mean
    logits = randn(N, V, seed=seed) * 3
    target = _targets(N, V, seed, ignore_index)
    given_args = {} if ignore_index == -100 else {"ignore_index": ignore_index}
    ours = impl.perplexity(logits, target, **given_args)
    expected = F.cross_entropy(logits, target, ignore_index=ignore_index).exp()
    assert_close(ours, expected, rtol=1e-12, atol=0,
                 msg=f"perplexity {ours.item():.6f}, exp(cross-entropy in nats over the targets != {ignore_index}) "
                     f"{expected.item():.6f}")
    uniform = impl.perplexity(torch.full((N, V), 0.7, dtype=torch.float64), target, **given_args)  # any constant row
    assert_close(uniform, torch.tensor(float(V), dtype=torch.float64), rtol=1e-12, atol=0,
                 msg=f"a model uniform over V = {V} tokens has perplexity {uniform.item():.6f}, expected V")


@given(st.integers(1, 6), vocab, st.integers(1, 20), seeds)
def test_bits_per_byte_is_the_total_loss_in_bits_over_the_number_of_bytes(impl, N, V, n_bytes, seed):
    logits = randn(N, V, seed=seed)
    target = _targets(N, V, seed, -100)
    total_nats = F.cross_entropy(logits, target, reduction="sum")
    ours = impl.bits_per_byte(logits, target, n_bytes)
    assert_close(ours, total_nats / (n_bytes * math.log(2)), rtol=1e-12, atol=0,
                 msg=f"bits_per_byte = {ours.item():.6f}, total nats / (bytes · ln 2) = "
                     f"{(total_nats / (n_bytes * math.log(2))).item():.6f}")


def test_bits_per_byte_agrees_across_tokenizers_while_perplexity_per_token_does_not(impl):
    # One bigram byte model, read through two tokenizers: single bytes (V = 256) and pairs of bytes
    # (V = 65536, token = 256 b1 + b2, logit = log p(b1 | prev) + log p(b2 | b1)). Both give the text
    # the same probability, so the same bits per byte; per token the pair model's perplexity is the
    # byte model's squared (each token carries two bytes).
    text = "naïve café".encode()  # 12 bytes, 10 characters
    lp = (randn(256, 256, seed=2) * 2).log_softmax(-1)  # lp[prev, next]
    b = torch.tensor(list(text))
    prev = torch.cat([torch.tensor([0]), b[:-1]])  # byte 0 starts the text
    byte_logits = lp[prev]  # [12, 256]
    pair_prev = prev[0::2]  # the byte before each pair
    pair_logits = (lp[pair_prev][:, :, None] + lp[None, :, :]).reshape(len(pair_prev), -1)  # [6, 65536]
    pair_target = b[0::2] * 256 + b[1::2]
    byte_bpb = impl.bits_per_byte(byte_logits, b, len(text))
    pair_bpb = impl.bits_per_byte(pair_logits, pair_target, len(text))
    assert_close(pair_bpb, byte_bpb, rtol=1e-10, atol=0,
                 msg=f"bits per byte: {byte_bpb.item():.4f} with byte tokens, {pair_bpb.item():.4f} with pair "
                     f"tokens; the text has the same probability under both")
    byte_ppl, pair_ppl = impl.perplexity(byte_logits, b), impl.perplexity(pair_logits, pair_target)
    assert_close(pair_ppl, byte_ppl ** 2, rtol=1e-10, atol=0)
    assert pair_ppl > 2 * byte_ppl  # perplexity per token is not comparable across tokenizers
    uniform = impl.bits_per_byte(torch.zeros(len(text), 256, dtype=torch.float64), b, len(text))
    assert_close(uniform, torch.tensor(8.0, dtype=torch.float64), rtol=1e-12, atol=0)  # log2(256) bits per byte


def _batch(B: int, T: int, V: int, seed: int):
    """Logits [B, T, V], input_ids [B, T] and a loss mask that leaves out a prompt of random length
    and right padding (each sequence keeps at least one target token)."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(B, T, V, generator=g, dtype=torch.float64) * 2
    ids = torch.randint(V, (B, T), generator=g)
    length = torch.randint(2, T + 1, (B,), generator=g)  # real tokens; the rest is padding
    prompt = (torch.rand(B, generator=g) * (length - 1)).long() + 1  # 1 .. length-1 prompt tokens
    t = torch.arange(T)
    loss_mask = (t >= prompt[:, None]) & (t < length[:, None])
    return logits, ids, loss_mask


@given(st.integers(1, 3), st.integers(2, 6), vocab, st.booleans(), seeds)
def test_causal_lm_loss_scores_the_logits_at_t_against_the_token_at_t_plus_1_leaving_out_prompt_and_padding(
        impl, B, T, V, use_mask, seed):
    logits, ids, loss_mask = _batch(B, T, V, seed)
    labels = ids.masked_fill(~loss_mask, -100) if use_mask else ids
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1))  # shift left by one
    ours = impl.causal_lm_loss(logits, ids, loss_mask if use_mask else None)
    assert_close(ours.double(), expected, rtol=1e-6, atol=1e-6,
                 msg=f"causal_lm_loss = {ours.item():.6f}, cross-entropy of logits[:, t] against "
                     f"input_ids[:, t + 1] = {expected.item():.6f}")


@given(st.integers(1, 3), st.integers(2, 6), vocab, seeds)
def test_causal_lm_loss_gradient_reaches_only_positions_whose_next_token_is_a_target(impl, B, T, V, seed):
    logits, ids, loss_mask = _batch(B, T, V, seed)
    logits.requires_grad_()
    (grad,) = torch.autograd.grad(impl.causal_lm_loss(logits, ids, loss_mask), logits)
    predicts_a_target = torch.zeros(B, T, dtype=torch.bool)
    predicts_a_target[:, :-1] = loss_mask[:, 1:]  # position t is scored iff token t+1 is a target
    n = predicts_a_target.sum()
    # d mean CE / d logits[b, t] = (softmax(logits[b, t]) - one_hot(ids[b, t+1])) / n at a scored position
    expected = torch.zeros_like(logits)
    nxt = torch.cat([ids[:, 1:], ids[:, :1]], dim=1)
    expected[predicts_a_target] = ((logits.softmax(-1) - F.one_hot(nxt, V)) / n)[predicts_a_target].detach()
    assert_close(grad.double(), expected, rtol=1e-6, atol=1e-7,
                 msg="the gradient must be (softmax - one_hot(next token)) / n at positions whose next token is "
                     "a target, and 0 elsewhere (the last position, and before prompt or padding tokens)")


def test_averaging_micro_batch_means_misweights_tokens_and_dividing_by_the_batch_token_count_fixes_it(impl):
    # Gradient accumulation over 2 micro-batches of a batch whose 4 sequences have 2, 9, 5 and 12 target
    # tokens: split (2, 9) + (5, 12), unequal counts 11 and 17; or (2, 12) + (9, 5), equal counts 14 and 14.
    V, D, T = 5, 4, 14
    g = torch.Generator().manual_seed(3)
    emb = torch.randn(V, D, generator=g, dtype=torch.float64)
    W = torch.randn(D, V, generator=g, dtype=torch.float64, requires_grad=True)  # the shared parameter
    ids = torch.randint(V, (4, T), generator=g)
    n_targets = torch.tensor([2, 9, 5, 12])
    t = torch.arange(T)
    loss_mask = (t >= 1) & (t <= n_targets[:, None])  # tokens 1..n are targets, the rest is padding
    unequal, equal = [[0, 1], [2, 3]], [[0, 3], [1, 2]]
    total = int(n_targets.sum())

    def grad_of(losses):
        W.grad = None
        for loss in losses:
            loss.backward()  # gradients add up across backward calls
        return W.grad.clone()

    def loss_of(rows, **kw):
        return impl.causal_lm_loss(emb[ids[rows]] @ W, ids[rows], loss_mask[rows], **kw)

    full = grad_of([loss_of([0, 1, 2, 3])])
    fixed = grad_of([loss_of(rows, num_items_in_batch=total) for rows in unequal])
    assert_close(fixed, full, rtol=1e-6, atol=1e-9,
                 msg="micro-batch losses with num_items_in_batch = the batch's target-token count must "
                     "accumulate to the full batch's gradient")
    mean_of_means = grad_of([loss_of(rows) / 2 for rows in unequal])
    rel = ((mean_of_means - full).norm() / full.norm()).item()
    assert rel > 0.05, (f"averaging the micro-batch means should weight the 11 tokens of micro-batch 1 more than "
                        f"the 17 of micro-batch 2; its gradient differs from the full batch's by only {rel:.3f}")
    assert_close(grad_of([loss_of(rows) / 2 for rows in equal]), full, rtol=1e-6, atol=1e-9,
                 msg="with 14 target tokens in each micro-batch, the mean of the micro-batch means is the "
                     "full batch's mean")
    # what the mean of means computes: each micro-batch's own mean, weighted 1/2 whatever its token count
    with torch.no_grad():
        per_token = F.cross_entropy((emb[ids] @ W)[:, :-1].reshape(-1, V),
                                    ids.masked_fill(~loss_mask, -100)[:, 1:].reshape(-1),
                                    reduction="none").view(4, T - 1)
        sums = torch.stack([per_token[rows].sum() for rows in unequal])
        counts = torch.stack([n_targets[rows].sum() for rows in unequal]).double()
        pitfall = sum(loss_of(rows) for rows in unequal) / 2
    assert_close(pitfall.double(), (sums / counts).mean(), rtol=1e-6, atol=1e-9)
    assert not torch.isclose((sums / counts).mean(), sums.sum() / counts.sum(), rtol=1e-3)
