"""Claims about LayerNorm and BatchNorm (questions/normalization/*.yaml; the LayerNorm placement
facts also back questions/architecture/pre-norm-vs-post-norm.yaml and llm questions).

Each check is named as the claim reads. The oracles are PyTorch's own nn.LayerNorm,
nn.BatchNorm1d, nn.RMSNorm and nn.TransformerEncoderLayer, in float64. LayerNorm checks draw
D >= 2 (D = 1 has its own check). Checks of a batch-dependence draw their inputs with
Hypothesis; the two statistical checks (`stat_seed`) give the standard deviation of their
statistic over seeds next to each threshold. Broken implementations that must fail them:
tests/broken_impls/normalization/.
"""

import math
import re

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds, sizes, tensors

F64 = torch.float64


def _random_affine(*modules: nn.Module, D: int, seed: int) -> None:
    """The same random weight and bias in every module, so that an affine map cannot hide."""
    weight, bias = randn(D, seed=seed), randn(D, seed=seed + 1)
    with torch.no_grad():
        for m in modules:
            m.weight.copy_(weight)
            m.bias.copy_(bias)


# LayerNorm checks draw D >= 2: with one feature x - mean is 0 and every variant gives the bias,
# so the classic errors (the unbiased variance, ε outside the root) only show from D = 2, where
# the unbiased standard deviation is off by a factor √2. D = 1 has its own check.
features = st.integers(2, 6)


def _layer_norm(impl, D: int, seed: int | None = None) -> nn.Module:
    ln = impl.LayerNorm(D).to(F64)
    if seed is not None:
        _random_affine(ln, D=D, seed=seed)
    return ln


# ---------------------------------------------------------------- LayerNorm


@given(st.lists(sizes, min_size=0, max_size=2), features, seeds, st.data())
def test_layernorm_matches_torch_layer_norm(impl, lead, D, seed, data):
    x = data.draw(tensors(*lead, D), label="x")  # [..., D]
    ln, oracle = impl.LayerNorm(D).to(F64), nn.LayerNorm(D, dtype=F64)
    _random_affine(ln, oracle, D=D, seed=seed)
    assert_close(ln(x), oracle(x))


@given(st.lists(sizes, min_size=0, max_size=2), features, st.data())
def test_layernorm_gives_each_position_mean_zero_and_variance_v_over_v_plus_eps(impl, lead, D, data):
    x = data.draw(tensors(*lead, D), label="x")  # [..., D]
    ln = _layer_norm(impl, D)  # fresh: weight 1, bias 0
    y = ln(x)
    # y = (x - μ) / √(v + ε) has mean 0 and biased variance v / (v + ε) = 1 - ε / (v + ε)
    v = x.var(dim=-1, unbiased=False)
    assert_close(y.mean(dim=-1), torch.zeros_like(v))
    assert_close(y.var(dim=-1, unbiased=False), v / (v + ln.eps))


@given(sizes, seeds)
def test_with_one_feature_layernorm_outputs_its_bias_whatever_the_input(impl, T, seed):
    x = 5 * randn(T, 1, seed=seed)  # [T, D = 1]: each position is its own mean, variance 0
    ln, oracle = _layer_norm(impl, 1, seed=seed), nn.LayerNorm(1, dtype=F64)
    _random_affine(oracle, D=1, seed=seed)
    assert_close(ln(x), oracle(x))
    assert_close(ln(x), ln.bias.expand(T, 1))  # (x - x) / √(0 + ε) · γ + β = β


def test_layernorm_weight_starts_at_ones_bias_at_zeros_and_eps_is_1e_minus_5(impl):
    ln = impl.LayerNorm(6)
    assert_close(ln.weight.detach(), torch.ones(6, dtype=ln.weight.dtype))
    assert_close(ln.bias.detach(), torch.zeros(6, dtype=ln.bias.dtype))
    learned = {name for name, _ in ln.named_parameters()}
    assert {"weight", "bias"} <= learned, f"learnable parameters: {sorted(learned)}, expected weight (γ) and bias (β)"
    assert ln.eps == 1e-5, f"eps={ln.eps}, expected 1e-5"


@given(sizes, sizes, features, seeds)
def test_layernorm_of_a_sample_does_not_depend_on_its_batch_mates_or_the_batch_size(impl, B, T, D, seed):
    x = randn(B + 1, T, D, seed=seed)  # [B+1, T, D]
    others = randn(B + 1, T, D, seed=seed + 2)
    others[0] = x[0]  # the same sample among different batch-mates
    ln = _layer_norm(impl, D, seed=seed)
    y0 = ln(x)[0]
    assert_close(ln(others)[0], y0)
    assert_close(ln(x[:1])[0], y0)  # alone, in a batch of one


@given(sizes, features, seeds)
def test_layernorm_is_the_same_in_training_and_in_eval_mode(impl, T, D, seed):
    x = randn(2, T, D, seed=seed)
    ln = _layer_norm(impl, D, seed=seed)
    y_train = ln.train()(x)
    assert_close(ln.eval()(x), y_train)
    assert_close(ln.eval()(x[1:]), y_train[1:])  # nothing was accumulated from the batch


@given(sizes, features, seeds)
def test_layernorm_jacobian_has_no_block_between_different_positions(impl, T, D, seed):
    x = randn(T, D, seed=seed)
    ln = _layer_norm(impl, D, seed=seed)
    J = torch.autograd.functional.jacobian(ln, x)  # [T, D, T, D]: d y[t, i] / d x[s, j]
    across = J * (1 - torch.eye(T, dtype=F64))[:, None, :, None]  # keep the blocks with t != s
    assert_close(across, torch.zeros_like(J))


@given(st.lists(sizes, min_size=0, max_size=1), features, seeds)
def test_layernorm_is_rmsnorm_of_the_mean_centred_input(impl, lead, D, seed):
    x = randn(*lead, D, seed=seed) + 3  # a non-zero mean, which RMSNorm alone keeps
    ln, rms = impl.LayerNorm(D).to(F64), nn.RMSNorm(D, eps=1e-5, dtype=F64)
    _random_affine(ln, D=D, seed=seed)
    with torch.no_grad():
        rms.weight.copy_(ln.weight)
    # RMSNorm(z) = z / √(mean(z²) + ε) · γ, and mean(z²) of z = x - μ is LayerNorm's v
    assert_close(ln(x), rms(x - x.mean(dim=-1, keepdim=True)) + ln.bias)


def _logits(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return q @ k.T / math.sqrt(q.size(-1))  # [T, T] attention logits, one head


@pytest.mark.statistical
def test_layernorm_bounds_each_position_but_not_the_attention_logits_computed_from_it(impl, stat_seed):
    T, D = 32, 16
    h = _layer_norm(impl, D)(randn(T, D, seed=3 * stat_seed) * 10)  # fresh LayerNorm: weight 1, bias 0
    norms = h.norm(dim=-1)  # |y|² = D v / (v + ε) < D
    assert (norms <= math.sqrt(D) * (1 + 1e-12)).all(), f"largest position norm {norms.max():.4g} > √D = {math.sqrt(D):.4g}"
    W_q, W_k = randn(2, D, D, seed=3 * stat_seed + 1) / math.sqrt(D)
    top = {}  # mean over the queries of the largest attention weight
    for c in (1, 4, 16):  # the projections grow in training; LayerNorm sits before them
        logits = _logits(h @ (c * W_q), h @ (c * W_k))
        assert_close(logits, c**2 * _logits(h @ W_q, h @ W_k))  # logits scale as c²
        top[c] = logits.softmax(dim=-1).max(dim=-1).values.mean().item()
    # seeds 1..200: top[1] has mean 0.148, sd 0.019, so 0.3 is 8 sd above it; top[16] has mean
    # 0.994, sd 0.0068, so 0.95 is 6.5 sd below it (smallest seen 0.967). Seed 0: 0.15 and 0.996.
    assert top[1] < 0.3 and top[16] > 0.95, f"mean largest attention weight for c = 1, 4, 16: {top}"


@given(st.integers(2, 8), st.integers(2, 6), seeds)
def test_qk_layernorm_bounds_every_attention_logit_by_sqrt_dk_however_large_w_q_and_w_k_grow(impl, Dk, T, seed):
    x = randn(T, 8, seed=seed)  # [T, D]: one head's input
    W_q, W_k = randn(2, 8, Dk, seed=seed + 1)
    norm_q, norm_k = _layer_norm(impl, Dk), _layer_norm(impl, Dk)  # weight 1, bias 0: γ_q = γ_k = 1
    for c in (1.0, 16.0, 1e4):  # the projections grow; QK-norm normalises q and k after them
        logits = _logits(norm_q(x @ (c * W_q)), norm_k(x @ (c * W_k)))
        # |LN(q)| <= √Dk and |LN(k)| <= √Dk, so |logit| <= Dk / √Dk = √Dk, whatever c is
        top = logits.abs().max().item()
        assert top <= math.sqrt(Dk) * (1 + 1e-9), f"c={c}: max |logit| {top:.4g} > √Dk = {math.sqrt(Dk):.4g}"


# ----------------------------------------- post-norm and pre-norm (pure PyTorch facts)


def _encoder_layer(norm_first: bool) -> nn.TransformerEncoderLayer:
    """PyTorch's encoder layer with seeded weights; its own submodules build the formulas."""
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=32, dropout=0.0, batch_first=True,
                                       norm_first=norm_first, dtype=F64)
    with torch.no_grad():
        for i, p in enumerate(layer.parameters()):
            p.copy_(randn(*p.shape, seed=i) / math.sqrt(p.size(-1)))
    return layer


def _sublayers(layer: nn.TransformerEncoderLayer):
    def attend(x):
        return layer.self_attn(x, x, x, need_weights=False)[0]

    def ffn(x):
        return layer.linear2(layer.activation(layer.linear1(x)))

    return attend, ffn


def test_post_norm_layer_is_layernorm_of_x_plus_sublayer_of_x():
    layer = _encoder_layer(norm_first=False)  # the original Transformer's placement
    attend, ffn = _sublayers(layer)
    x = randn(2, 5, 8, seed=0)
    h = layer.norm1(x + attend(x))
    assert_close(layer.norm2(h + ffn(h)), layer(x))


def test_pre_norm_layer_is_x_plus_sublayer_of_layernorm_of_x():
    layer = _encoder_layer(norm_first=True)
    attend, ffn = _sublayers(layer)
    x = randn(2, 5, 8, seed=0)
    h = x + attend(layer.norm1(x))
    assert_close(h + ffn(layer.norm2(h)), layer(x))


# ---------------------------------------------------------------- BatchNorm


def _batch_norms(impl, D: int, seed: int) -> tuple[nn.Module, nn.BatchNorm1d]:
    bn, oracle = impl.BatchNorm(D).to(F64), nn.BatchNorm1d(D, dtype=F64)
    _random_affine(bn, oracle, D=D, seed=seed)
    return bn, oracle


@given(st.integers(2, 5), sizes, st.integers(1, 3), seeds)
def test_batchnorm_in_training_mode_matches_torch_batchnorm1d(impl, N, D, steps, seed):
    bn, oracle = _batch_norms(impl, D, seed)
    for step in range(steps):
        x = 2 * randn(N, D, seed=seed + 2 + step) + 1  # [N, D]
        assert_close(bn(x), oracle(x))
        assert_close(bn.running_mean, oracle.running_mean)
        assert_close(bn.running_var, oracle.running_var)


@given(sizes, sizes, st.integers(1, 3), seeds)
def test_batchnorm_in_eval_mode_matches_torch_batchnorm1d(impl, N, D, steps, seed):
    bn, oracle = _batch_norms(impl, D, seed)
    for step in range(steps):  # collect running statistics first
        x = 2 * randn(N + 1, D, seed=seed + 2 + step) + 1
        bn(x), oracle(x)
    x = randn(N, D, seed=seed + 9)  # any N, including 1
    assert_close(bn.eval()(x), oracle.eval()(x))


@given(st.integers(2, 5), sizes, st.data())
def test_batchnorm_in_training_mode_gives_each_feature_mean_zero_and_variance_v_over_v_plus_eps(impl, N, D, data):
    x = data.draw(tensors(N, D), label="x")
    bn = impl.BatchNorm(D).to(F64)  # fresh: weight 1, bias 0
    y = bn(x)
    v = x.var(dim=0, unbiased=False)  # over the N rows, per feature
    assert_close(y.mean(dim=0), torch.zeros_like(v))
    assert_close(y.var(dim=0, unbiased=False), v / (v + bn.eps))


def test_batchnorm_has_weight_ones_bias_zeros_and_running_statistics_zero_and_one(impl):
    bn = impl.BatchNorm(6)
    for name, value in [("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)]:
        t = getattr(bn, name).detach()
        assert_close(t, torch.full((6,), value, dtype=t.dtype), msg=f"{name} starts at {t}")
    assert bn.weight.requires_grad and bn.bias.requires_grad, "weight and bias are learnable"
    assert bn.eps == 1e-5 and bn.momentum == 0.1, (
        f"eps={bn.eps}, momentum={bn.momentum}; expected 1e-5 and 0.1, PyTorch's convention, in which "
        "momentum is the weight of the new batch: running = (1 - momentum) · running + momentum · batch")


@given(st.integers(2, 5), sizes, st.integers(1, 3), seeds)
def test_batchnorm_running_statistics_are_momentum_averages_of_batch_mean_and_unbiased_variance(
        impl, N, D, steps, seed):
    bn = impl.BatchNorm(D).to(F64)
    mean, var = torch.zeros(D, dtype=F64), torch.ones(D, dtype=F64)
    for step in range(steps):
        x = 2 * randn(N, D, seed=seed + step) + 1
        bn(x)
        mean = 0.9 * mean + 0.1 * x.mean(dim=0)
        var = 0.9 * var + 0.1 * x.var(dim=0, unbiased=True)  # divides by N - 1
        assert_close(bn.running_mean, mean)
        assert_close(bn.running_var, var)


@given(sizes, sizes, st.integers(1, 3), seeds)
def test_batchnorm_in_eval_mode_normalises_with_the_running_statistics(impl, N, D, steps, seed):
    bn = impl.BatchNorm(D).to(F64)
    _random_affine(bn, D=D, seed=seed)
    for step in range(steps):
        bn(2 * randn(N + 1, D, seed=seed + 2 + step) + 1)
    bn.eval()
    x = randn(N, D, seed=seed + 9)
    expected = (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
    assert_close(bn(x), expected)
    assert_close(bn(x[:1]), expected[:1])  # so a row no longer depends on its batch-mates


@given(sizes, sizes, seeds)
def test_batchnorm_in_eval_mode_folds_into_the_preceding_linear_layer(impl, N, D, seed):
    linear, bn = nn.Linear(D, D, dtype=F64), impl.BatchNorm(D).to(F64)
    with torch.no_grad():
        linear.weight.copy_(randn(D, D, seed=seed + 4))
        linear.bias.copy_(randn(D, seed=seed + 5))
    _random_affine(bn, D=D, seed=seed)
    bn(linear(randn(N + 1, D, seed=seed + 2)))  # one training step: non-trivial running statistics
    bn.eval()
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # [D]: eval BatchNorm is a fixed affine map
    folded = nn.Linear(D, D, dtype=F64)
    with torch.no_grad():
        folded.weight.copy_(scale[:, None] * linear.weight)
        folded.bias.copy_(scale * (linear.bias - bn.running_mean) + bn.bias)
    x = randn(N, D, seed=seed + 3)
    assert_close(folded(x), bn(linear(x)))


@given(st.integers(3, 6), sizes, seeds)  # N >= 3: with two rows every output is ±1 (checked below)
def test_batchnorm_output_for_sample_0_changes_when_its_batch_mates_change(impl, N, D, seed):
    x, others = randn(N, D, seed=seed), randn(N, D, seed=seed + 1)
    others[0] = x[0]  # the same sample among different batch-mates
    bn = impl.BatchNorm(D).to(F64)
    change = (bn(x)[0] - bn(others)[0]).abs().max().item()
    assert change > 1e-6, f"sample 0's output moved by {change:.3g} when its batch-mates changed"


@given(st.integers(2, 5), sizes, seeds)
def test_batchnorm_outputs_differ_between_training_and_eval_mode(impl, N, D, seed):
    x = 2 * randn(N, D, seed=seed) + 1
    bn = impl.BatchNorm(D).to(F64)
    y_train = bn.train()(x)  # batch statistics; the running ones move only 10 % towards them
    gap = (bn.eval()(x) - y_train).abs().max().item()
    assert gap > 1e-6, f"training and eval outputs differ by {gap:.3g}"


def test_batchnorm_refuses_a_batch_of_one_in_training_mode(impl):
    bn = impl.BatchNorm(3).to(F64)
    with pytest.raises(ValueError) as refused:
        bn(randn(1, 3, seed=0))
    # the message names what was wrong: N = 1 (torch: "got input size torch.Size([1, 3])")
    assert re.search(r"\b1\b", str(refused.value)), f"the ValueError says {str(refused.value)!r}: name the batch size N = 1"


@given(st.integers(2, 6), st.integers(1, 4), seeds)
def test_torch_batchnorm1d_refuses_one_row_in_training_but_normalises_one_sentence_over_its_tokens(T, C, seed):
    bn = nn.BatchNorm1d(C, dtype=F64)
    with pytest.raises(ValueError):  # [N=1, C]: one value per channel, zero variance
        bn(randn(1, C, seed=seed))
    sentence = 3 * randn(1, C, T, seed=seed + 1) + 1  # [N=1, C, L=T]: one sentence of T >= 2 tokens
    mean = sentence.mean(dim=(0, 2), keepdim=True)
    var = sentence.var(dim=(0, 2), unbiased=False, keepdim=True)  # over the T tokens, per channel
    assert_close(bn(sentence), (sentence - mean) / torch.sqrt(var + bn.eps))


@given(sizes, st.data())
def test_with_a_batch_of_two_batchnorm_keeps_little_more_than_which_row_is_larger(impl, D, data):
    x = data.draw(tensors(2, D), label="x")
    bn = impl.BatchNorm(D).to(F64)
    y = bn(x)
    delta = (x[0] - x[1]) / 2  # x[0] - mean; the biased variance is delta²
    assert_close(y[0], delta / torch.sqrt(delta**2 + bn.eps))  # ±1 unless |delta| ~ √eps
    assert_close(y[1], -y[0])


@pytest.mark.statistical
def test_batchnorm_output_of_a_sample_is_noisier_the_smaller_the_batch(impl, stat_seed):
    # D = 4000 features act as 4000 independent trials: row 0 is 1 in each, the N - 1
    # batch-mates are fresh N(0, 1) draws. For large N the spread of y[0] is about
    # √((1 + x0²/2) / N) = √(1.5 / N) (noise of the batch mean plus that of the batch std).
    spread = {}
    for N in (2, 4, 16, 64):
        x = randn(N, 4000, seed=1000 * stat_seed + N)
        x[0] = 1.0
        spread[N] = impl.BatchNorm(4000).to(F64)(x)[0].std().item()
    # seeds 1..60: the ratios 0.698 (sd 0.015), 0.608 (0.012), 0.500 (0.008), so 0.85 is at
    # least 10 sd away; 8 · spread[64] = 1.231 (sd 0.012) against √1.5 = 1.225, so a 0.1
    # tolerance is 7.6 sd. Seed 0: spreads 0.74, 0.52, 0.31, 0.15
    msg = f"spread of sample 0's output over random batch-mates, by batch size: {spread}"
    for small, large in [(2, 4), (4, 16), (16, 64)]:
        assert spread[large] < 0.85 * spread[small], msg
    assert abs(spread[64] * 8 - math.sqrt(1.5)) < 0.1, msg + " (expected √(1.5 / 64) = 0.153 at N = 64)"


@given(seeds)
def test_padding_another_sentence_changes_batchnorm_outputs_of_real_tokens_but_not_layernorm_outputs(impl, seed):
    D = 4
    short, long = randn(3, D, seed=seed), randn(5, D, seed=seed + 1)  # two sentences, 3 and 5 tokens

    def padded(T):  # [2, T, D], padding positions are zero vectors
        x = torch.zeros(2, T, D, dtype=F64)
        x[0, :3], x[1, :5] = short, long
        return x

    bn, ln = impl.BatchNorm(D).to(F64), _layer_norm(impl, D)
    x5, x8 = padded(5), padded(8)  # the same sentences, padded to 5 or to 8 positions
    bn5 = bn(x5.reshape(-1, D)).reshape(2, 5, D)[0, :3]  # BatchNorm over all B*T rows
    bn8 = bn(x8.reshape(-1, D)).reshape(2, 8, D)[0, :3]
    change = (bn5 - bn8).abs().max().item()
    assert change > 1e-6, f"padding to 8 instead of 5 moved real tokens' BatchNorm outputs by {change:.3g}"
    assert_close(ln(x5)[0, :3], ln(x8)[0, :3])
