"""Claims about training and inference (questions/training/*.yaml): dropout, label smoothing,
teacher forcing, decoding and sampling. (Learning-rate schedules, mixed precision and the
optimizer step are in test_lr_schedule.py, test_mixed_precision.py and test_optimizers.py.)

None of these is in the implementation contract, so each gets a small reference function
below (named, with a docstring) that is set against PyTorch's own function where one exists
(`F.dropout`, `F.cross_entropy(label_smoothing=)`, `torch.multinomial`). Claims about
decoding with attention use `impl`. Statistical checks use seeded generators and a tolerance
derived from the sampling distribution (stated where used).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.strategies import randn, seeds

probs_p = st.sampled_from([0.1, 0.3, 0.5])


# --- dropout ----------------------------------------------------------------------------

def inverted_dropout(x: torch.Tensor, keep: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout with a given keep pattern: zero the dropped entries, divide the kept
    ones by 1 - p so that E[output] = x and nothing needs rescaling at evaluation time."""
    return x * keep / (1 - p)


@given(probs_p, seeds)
def test_torch_dropout_zeroes_entries_and_scales_the_kept_ones_by_one_over_one_minus_p(p, seed):
    x = randn(64, seed=seed) + 10.0  # no entry is 0, so "kept" is "output != 0"
    with torch.random.fork_rng():  # F.dropout draws its mask from the global generator
        torch.manual_seed(seed)
        y = F.dropout(x, p, training=True)
    assert_close(y, inverted_dropout(x, y != 0, p))


@pytest.mark.statistical
def test_dropout_keeps_each_entry_with_probability_one_minus_p_and_the_expected_value_unchanged(stat_seed):
    p, N = 0.3, 1_000_000
    with torch.random.fork_rng():
        torch.manual_seed(stat_seed)
        y = F.dropout(torch.ones(N, dtype=torch.float64), p, training=True)
    assert set(y.unique().tolist()) <= {0.0, 1 / (1 - p)}
    # keep rate: a binomial proportion, SE = sqrt(p (1 - p) / N) = 4.6e-4; allow 5 SE
    kept = (y != 0).double().mean().item()
    assert abs(kept - (1 - p)) < 5 * math.sqrt(p * (1 - p) / N), f"kept {kept:.5f}, expected {1 - p}"
    # mean: each output is 0 or 1/(1-p), variance p/(1-p), so SE = sqrt(p / ((1-p) N)) = 6.5e-4;
    # allow 5 SE. Seed 0: kept 0.70042, mean 1.00060
    mean = y.mean().item()
    assert abs(mean - 1) < 5 * math.sqrt(p / ((1 - p) * N)), f"mean {mean:.5f}, expected 1"


@given(probs_p, seeds)
def test_dropout_is_the_identity_in_eval_mode(p, seed):
    x = randn(3, 5, seed=seed)
    assert_close(nn.Dropout(p).eval()(x), x, rtol=0, atol=0)
    assert_close(F.dropout(x, p, training=False), x, rtol=0, atol=0)


def test_torch_encoder_layer_drops_out_the_attention_output_and_the_ffn_output_before_each_residual():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, dtype=torch.float64).eval()
    x = randn(2, 5, 8, seed=0)
    seen = {}
    layer.dropout1.register_forward_hook(lambda m, i, o: seen.__setitem__("d1", i[0]))
    layer.dropout2.register_forward_hook(lambda m, i, o: seen.__setitem__("d2", i[0]))
    y = layer(x)
    attn = layer.self_attn(x, x, x, need_weights=False)[0]
    h = layer.norm1(x + attn)
    assert_close(seen["d1"], attn)
    assert_close(seen["d2"], layer.linear2(layer.dropout(layer.activation(layer.linear1(h)))))
    assert_close(y, layer.norm2(h + seen["d2"]))


def test_torch_encoder_layer_is_random_in_training_mode_and_deterministic_in_eval_mode():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, dtype=torch.float64)
    x = randn(2, 5, 8, seed=1)
    assert not torch.equal(layer.train()(x), layer(x))
    layer.eval()
    assert torch.equal(layer(x), layer(x))


def test_attention_dropout_acts_on_the_weights_after_the_softmax():
    mha = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, dtype=torch.float64)
    x = randn(1, 6, 8, seed=2)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        w_train = mha.train()(x, x, x, average_attn_weights=False)[1]  # [B, H, T, S]
    w_eval = mha.eval()(x, x, x, average_attn_weights=False)[1]
    assert_close(w_eval.sum(-1), torch.ones(1, 2, 6, dtype=torch.float64))
    assert not torch.allclose(w_train.sum(-1), torch.ones(1, 2, 6, dtype=torch.float64))
    kept = w_train != 0
    assert_close(w_train[kept], w_eval[kept] / 0.5)  # the same softmax weights, rescaled


# --- label smoothing ---------------------------------------------------------------------

def smoothed_targets(target: torch.Tensor, K: int, eps: float) -> torch.Tensor:
    """(1 - eps) * one_hot(target) + eps / K: the distribution label smoothing trains toward."""
    return (1 - eps) * F.one_hot(target, K).double() + eps / K


@given(st.integers(2, 7), st.sampled_from([0.0, 0.1, 0.3]), seeds)
def test_label_smoothing_equals_cross_entropy_against_smoothed_targets(K, eps, seed):
    logits = randn(4, K, seed=seed)
    target = torch.randint(K, (4,), generator=torch.Generator().manual_seed(seed))
    ours = -(smoothed_targets(target, K, eps) * logits.log_softmax(-1)).sum(-1).mean()
    assert_close(F.cross_entropy(logits, target, label_smoothing=eps), ours)


def test_with_label_smoothing_the_loss_is_minimised_at_a_finite_logit_gap():
    # the minimiser of CE against q is softmax(z) = q: p_true = 1 - eps + eps/K, and the logit
    # gap is ln((1 - eps + eps/K) / (eps/K)). Measured: p_true = 0.91, gap = 4.5109 (K=10, eps=0.1).
    K, eps = 10, 0.1
    q = smoothed_targets(torch.tensor([0]), K, eps)
    z = q.log().requires_grad_()
    F.cross_entropy(z, torch.tensor([0]), label_smoothing=eps).backward()
    assert_close(z.grad, torch.zeros_like(z))                   # a stationary point (CE is convex in z)
    assert_close(z.softmax(-1)[0, 0].item(), 0.91)
    assert_close((z[0, 0] - z[0, 1]).item(), math.log(0.91 / 0.01))
    # without smoothing the gradient never vanishes: a bigger gap always lowers the loss
    hard = torch.tensor([[20.0, 0, 0]], dtype=torch.float64, requires_grad=True)
    F.cross_entropy(hard, torch.tensor([0])).backward()
    assert hard.grad[0, 0] < 0


# --- teacher forcing and autoregressive decoding -----------------------------------------

def test_a_teacher_forced_rnn_decoder_still_needs_one_sequential_step_per_token():
    T, D = 6, 4
    cell = nn.GRUCell(D, D, dtype=torch.float64)
    gold = randn(T, D, seed=5)                                 # teacher forcing: every input is known
    h = torch.zeros(D, dtype=torch.float64)
    for t in range(T):                                         # yet h_t needs h_{t-1}:
        J = torch.autograd.functional.jacobian(lambda prev: cell(gold[t], prev), h)  # ∂h_t/∂h_{t-1} [D, D]
        assert J.abs().max() > 1e-3, f"step {t}: ∂h_t/∂h_(t-1) = 0, the step would not need the previous one"
        h = cell(gold[t], h).detach()
    # a chain of T non-zero Jacobians: no step can start before the one before it has finished


def _toy_decoder(impl, V: int = 7, D: int = 4, seed: int = 0):
    """ids [T] -> logits [T, V]: embedding -> impl.EncoderLayer under impl.causal_mask (a
    decoder-only block) -> linear to V logits, seeded float64. `embed` is exposed so checks can
    differentiate with respect to the embedded inputs."""
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(V, D, generator=g, dtype=torch.float64)
    out = torch.randn(D, V, generator=g, dtype=torch.float64)
    block = caps.make_layer(impl.EncoderLayer, D, 2, 2 * D, norm_first=True).to(torch.float64)
    with torch.no_grad():  # every matrix and bias from the seed; LayerNorms left fresh
        for name, p in sorted(block.named_parameters()):
            if not name.startswith("norm"):
                fan_in = p.size(-1) if p.dim() == 2 else D
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) / math.sqrt(fan_in))

    def from_embedded(x: torch.Tensor) -> torch.Tensor:       # x [T, D] -> [T, V]
        return (caps.layer_call(block, x[None], impl.causal_mask(x.size(0))) @ out)[0]

    def logits(ids: torch.Tensor) -> torch.Tensor:            # ids [T] -> [T, V]
        return from_embedded(emb[ids])
    logits.embed, logits.from_embedded = (lambda ids: emb[ids]), from_embedded
    return logits


def test_one_teacher_forced_pass_reproduces_the_logits_that_greedy_generation_computed_one_pass_per_token(impl):
    logits = _toy_decoder(impl)
    ids, steps = torch.tensor([0]), []
    for _ in range(5):                                         # inference: one pass per new token
        steps.append(logits(ids)[-1])                          # the last position's logits [V]
        ids = torch.cat([ids, steps[-1].argmax()[None]])
    one_pass = logits(ids[:-1])                                # training-style: all positions at once
    assert_close(one_pass, torch.stack(steps))                 # same logits on the same prefix
    assert torch.equal(one_pass.argmax(-1), ids[1:])


def test_without_the_shift_right_the_loss_at_position_t_reads_the_target_token_itself(impl):
    logits = _toy_decoder(impl, seed=2)
    y, bos = torch.tensor([3, 1, 4, 1, 5, 2]), torch.tensor([0])  # targets y_0..y_5; token 0 = <s>
    T = len(y)

    def reads(inputs: torch.Tensor) -> torch.Tensor:
        """[T, T] table: entry [t, s] = |∂loss_t / ∂(embedded input s)|, loss_t = CE(logits_t, y_t)."""
        losses = lambda x: F.cross_entropy(logits.from_embedded(x), y, reduction="none")  # noqa: E731
        J = torch.autograd.functional.jacobian(losses, logits.embed(inputs))  # [T, T, D]
        return J.norm(dim=-1)

    unshifted, shifted = reads(y), reads(torch.cat([bos, y[:-1]]))
    diagonal = torch.arange(T)
    # unshifted: input t IS y_t, and loss_t depends on it: the answer leaks into the input
    assert (unshifted[diagonal, diagonal] > 1e-6).all(), unshifted.diagonal()
    # shifted right: y_t sits at input t + 1, which the causal mask hides from position t
    assert (shifted[diagonal[:-1], diagonal[:-1] + 1] == 0).all(), shifted
    assert (torch.triu(shifted, diagonal=1) == 0).all(), shifted  # loss_t reads inputs 0..t only (<s>, y_<t)


def test_a_different_token_in_the_prefix_leaves_earlier_outputs_unchanged_and_changes_every_later_one(impl):
    logits = _toy_decoder(impl, seed=1)
    gold = torch.tensor([0, 3, 1, 4, 2, 6])
    generated = gold.clone()
    generated[1] = 5                                           # one token differs
    a, b = logits(gold), logits(generated)
    assert_close(a[0], b[0])                                   # before it: identical (causal mask)
    moved = (a[1:] - b[1:]).abs().amax(-1)
    assert (moved > 1e-6).all(), f"later positions that did not move: {moved}"


def test_teacher_forced_prefixes_never_leave_the_training_data_but_free_running_ones_reach_untrained_contexts():
    # Data: a Markov chain over tokens 0..5 (random transition rows); the vocabulary has V = 8,
    # and tokens 6, 7 never occur in the data. Model: a bigram table fitted by counting on the
    # data (its expected counts, n per context) with add-α smoothing over all V tokens, so it
    # gives 6 and 7 a little probability, and its rows for contexts 6, 7 saw no data: they stay
    # at their initial, untrained, uniform value.
    K, V, n, alpha = 6, 8, 100.0, 0.5
    P = torch.zeros(V, V, dtype=torch.float64)
    P[:K, :K] = torch.rand(K, K, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    P[:K] /= P[:K].sum(-1, keepdim=True)                       # the data's next-token distributions
    Q = (n * P + alpha) / (n + V * alpha)                       # fitted rows for contexts 0..5
    Q[K:] = 1 / V                                              # contexts 6, 7: never trained
    trained = torch.arange(V) < K
    # P(the prefix has reached an untrained context by step t): make those contexts absorbing
    absorbing = Q.clone()
    absorbing[K:] = torch.eye(V, dtype=torch.float64)[K:]
    gold = free = torch.eye(V, dtype=torch.float64)[0]         # every sequence starts with token 0
    reached = []
    for t in range(20):
        gold, free = gold @ P, free @ absorbing                 # teacher forcing conditions on gold tokens
        assert gold[~trained].sum() == 0                        # ... which never leave the training data
        reached.append(free[~trained].sum().item())
    # running free, the model conditions on its own tokens: measured 0.0096 after one step,
    # 0.092 after 10 and 0.18 after 20, about 1 - (1 - 0.0096)^t: the risk compounds with length
    assert reached[0] > 0 and all(b > a for a, b in zip(reached, reached[1:])), reached
    assert reached[-1] > 10 * reached[0], reached
