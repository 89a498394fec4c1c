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

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.modules import seeded_attention
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
    torch.manual_seed(seed)
    y = F.dropout(x, p, training=True)
    assert_close(y, inverted_dropout(x, y != 0, p))


def test_dropout_keeps_the_expected_value_in_training_mode():
    # x = 1, N = 2e6: each output is 0 or 1/(1-p), variance p/(1-p), so the mean has
    # SE = sqrt(p/((1-p)N)) = 4.6e-4 at p = 0.3; allow 5 SE. Measured: 1.00032 (torch seed 0).
    p, N = 0.3, 2_000_000
    torch.manual_seed(0)
    y = F.dropout(torch.ones(N, dtype=torch.float64), p, training=True)
    assert abs(y.mean().item() - 1) < 5 * math.sqrt(p / ((1 - p) * N))
    assert set(y.unique().tolist()) == {0.0, 1 / (1 - p)}


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

class _CountingCell(nn.GRUCell):
    calls = 0

    def forward(self, x, h):
        type(self).calls += 1
        return super().forward(x, h)


def test_a_teacher_forced_rnn_decoder_still_needs_one_sequential_step_per_token():
    T, D = 6, 4
    cell = _CountingCell(D, D, dtype=torch.float64)
    _CountingCell.calls = 0
    gold = randn(T, D, seed=5)
    h = torch.zeros(D, dtype=torch.float64, requires_grad=True)
    h0, states = h, []
    for t in range(T):                                         # gold inputs, yet h_t needs h_{t-1}
        h = cell(gold[t], h)
        states.append(h)
    assert _CountingCell.calls == T
    (grad,) = torch.autograd.grad(states[-1].sum(), h0)
    assert grad.abs().sum() > 0                                # the last state depends on the first


def _toy_decoder(impl, V: int = 7, D: int = 4, seed: int = 0):
    """Embedding -> causal impl.MultiHeadAttention -> linear to V logits, seeded float64."""
    g = torch.Generator().manual_seed(seed)
    emb = torch.randn(V, D, generator=g, dtype=torch.float64)
    out = torch.randn(D, V, generator=g, dtype=torch.float64)
    attn = seeded_attention(impl.MultiHeadAttention, D, 2, seed)
    calls = [0]

    def logits(ids: torch.Tensor) -> torch.Tensor:            # ids [T] -> [T, V]
        calls[0] += 1
        x = emb[ids][None]
        return (attn(x, x, x, mask=impl.causal_mask(len(ids))) @ out)[0]
    return logits, calls


def test_greedy_generation_of_m_tokens_takes_m_forward_passes_and_matches_one_teacher_forced_pass(impl):
    logits, calls = _toy_decoder(impl)
    ids, m, steps = torch.tensor([0]), 5, []
    for _ in range(m):
        steps.append(logits(ids)[-1])                          # the last position's logits [V]
        ids = torch.cat([ids, steps[-1].argmax()[None]])
    assert calls[0] == m                                       # inference: one pass per new token
    one_pass = logits(ids[:-1])                                # training-style: all positions at once
    assert calls[0] == m + 1
    assert_close(one_pass, torch.stack(steps))                 # same logits on the same prefix
    assert torch.equal(one_pass.argmax(-1), ids[1:])


def test_a_wrong_token_in_the_prefix_changes_every_later_prediction_so_gold_and_generated_prefixes_differ(impl):
    logits, _ = _toy_decoder(impl, seed=1)
    gold = torch.tensor([0, 3, 1, 4, 2, 6])
    generated = gold.clone()
    generated[1] = 5                                           # one mistake by the model
    a, b = logits(gold), logits(generated)
    assert_close(a[0], b[0])                                   # before the mistake: identical
    assert ((a[1:] - b[1:]).abs().amax(-1) > 1e-6).all()       # after it: every position shifted
