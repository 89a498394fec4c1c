"""Claims about the encoder layer, its residual connections and where its LayerNorms sit
(questions/architecture/*.yaml).

Each check is named as the claim reads. The module under test is `impl.EncoderLayer`, with
every weight set by name from seeded generators (matrices scaled by 1/√fan_in, as
nn.Linear's init is), in float64, with D >= 2. The oracle is PyTorch's own
nn.TransformerEncoderLayer (dropout 0, batch_first) with those weights copied in. Facts that
do not depend on where the LayerNorms sit (parameter counts, which positions reach which) are
checked in both placements. The deep-stack checks are statistical (`stat_seed`): each
threshold sits >= 5 standard deviations of its statistic over seeds from the mean, both given
in a comment. The gradient checks on plain tanh and linear stacks are facts of mathematics and
take no `impl`. Broken implementations that must fail these checks:
tests/broken_impls/encoder_layer/.

Declared capabilities (checks/capabilities.py): a layer that implements one placement
(`norm_placements = ("pre",)`) is built without `norm_first` and graded in that placement by
every check whose claim holds in either; a check about the other placement skips, naming the
declaration. Its attention's W_Q, W_K, W_V may be fused; masks reach it in its declared format.
"""

import functools
import inspect
import math
from operator import attrgetter

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks import capabilities as caps
from checks.modules import copy_attention_weights
from checks.strategies import masks, pads, randn, seeds, sizes

F64 = torch.float64

def _linears(layer: nn.Module) -> tuple:
    """W_Q, W_K, W_V, W_O of self_attn (separate or fused), then the FFN's linear1, linear2."""
    return (*caps.linears(layer.self_attn), layer.ffn.linear1, layer.ffn.linear2)

LAST_LINEARS = ("self_attn.out_proj", "ffn.linear2")  # the last map of each sublayer


def _layer(impl, D: int, H: int, d_ff: int, norm_first: bool, seed: int, fresh_norms: bool = False,
           zero_biases: bool = False) -> nn.Module:
    """impl.EncoderLayer in float64, every parameter set by its contract name from `seed`.
    LayerNorms get a random weight and bias (so that a misplaced one cannot hide), or the
    fresh ones and zeros with `fresh_norms`."""
    layer = caps.make_layer(impl.EncoderLayer, D, H, d_ff, norm_first=norm_first).to(F64)
    with torch.no_grad():
        for i, lin in enumerate(_linears(layer)):
            fan_in = lin.weight.size(1)
            lin.weight.copy_(randn(*lin.weight.shape, seed=seed + 2 * i) / math.sqrt(fan_in))
            lin.bias.copy_(0 if zero_biases else randn(*lin.bias.shape, seed=seed + 2 * i + 1) / math.sqrt(fan_in))
        for j, norm in enumerate((layer.norm1, layer.norm2)):
            norm.weight.copy_(1 if fresh_norms else randn(D, seed=seed + 20 + 2 * j))
            norm.bias.copy_(0 if fresh_norms else randn(D, seed=seed + 21 + 2 * j))
    return layer


def _torch_copy(layer: nn.Module, H: int) -> nn.TransformerEncoderLayer:
    """PyTorch's encoder layer with the implementation's weights (q, k, v fused into in_proj)."""
    a, f = layer.self_attn, layer.ffn
    D, d_ff = f.linear1.weight.size(1), f.linear1.weight.size(0)
    oracle = nn.TransformerEncoderLayer(D, H, d_ff, dropout=0.0, batch_first=True,
                                        norm_first=caps.norm_first(layer), dtype=F64)
    copy_attention_weights(a, oracle.self_attn)
    with torch.no_grad():
        for mine, theirs in [(f.linear1, oracle.linear1),
                             (f.linear2, oracle.linear2), (layer.norm1, oracle.norm1), (layer.norm2, oracle.norm2)]:
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
    return oracle


def _zero_last_linears(layer: nn.Module) -> nn.Module:
    """Both sublayers then output zero: self_attn ends in out_proj, the FFN in linear2."""
    with torch.no_grad():
        for name in LAST_LINEARS:
            attrgetter(name)(layer).weight.zero_()
            attrgetter(name)(layer).bias.zero_()
    return layer


@st.composite
def layer_sizes(draw):
    """(B, T, H, D, d_ff, seed) with 2 <= D = H * Dk <= 9 (D >= 2: with one feature every
    LayerNorm variant outputs its bias, and a wrong variance would go unseen)."""
    H = draw(st.integers(1, 3), label="H")
    Dk = draw(st.integers(2 if H == 1 else 1, 3), label="Dk")
    return draw(st.integers(1, 2), label="B"), draw(sizes, label="T"), H, H * Dk, draw(sizes, label="d_ff"), draw(
        seeds, label="seed")


def _attend(layer, x, mask=None):
    return caps.attend(layer.self_attn, x, x, x, mask)


def _call(layer, x, mask=None):
    """_call(layer, x, mask), the check's bool mask in the layer's declared format."""
    return caps.layer_call(layer, x, mask)


# ------------------------------------------------------------- the layer against PyTorch's


@given(layer_sizes(), st.booleans(), st.data())
def test_encoder_layer_matches_torch_transformer_encoder_layer_with_and_without_a_mask(impl, dims, norm_first, data):
    B, T, H, D, d_ff, seed = dims
    mask = data.draw(st.none() | masks((B, T, T)) | masks((B, 1, T)), label="mask")  # True = may attend
    norm_first = caps.placement(impl.EncoderLayer, norm_first)  # a one-placement layer: its own
    layer = _layer(impl, D, H, d_ff, norm_first, seed)
    oracle = _torch_copy(layer, H)
    x = randn(B, T, D, seed=seed + 30)
    # PyTorch's src_mask is True where attending is NOT allowed, one [T, T] slice per (batch, head)
    src_mask = None if mask is None else ~mask.expand(B, T, T).repeat_interleave(H, dim=0)
    assert_close(_call(layer, x, mask), oracle(x, src_mask=src_mask))


@given(layer_sizes(), st.booleans(), st.data())
def test_post_norm_is_layernorm_of_x_plus_sublayer_and_pre_norm_is_x_plus_sublayer_of_layernorm(
        impl, dims, norm_first, data):
    B, T, H, D, d_ff, seed = dims
    mask = data.draw(st.none() | masks((B, T, T)), label="mask")
    norm_first = caps.placement(impl.EncoderLayer, norm_first)  # a one-placement layer: its own
    layer = _layer(impl, D, H, d_ff, norm_first, seed)
    x = randn(B, T, D, seed=seed + 30)
    if norm_first:  # x + Sublayer(LN(x)), twice
        h = x + _attend(layer, layer.norm1(x), mask)
        expected = h + layer.ffn(layer.norm2(h))
    else:  # LN(x + Sublayer(x)), twice
        h = layer.norm1(x + _attend(layer, x, mask))
        expected = layer.norm2(h + layer.ffn(h))
    assert_close(_call(layer, x, mask), expected)


def test_the_default_placement_is_post_norm_as_in_the_original_transformer_and_in_pytorch(impl):
    post = _layer(impl, 8, 2, 16, False, seed=0)  # skipped for a pre-norm-only layer
    default = impl.EncoderLayer(8, 2, 16).to(F64)  # norm_first left out
    default.load_state_dict(post.state_dict())
    assert caps.norm_first(default) is False, f"norm_first defaults to {caps.norm_first(default)!r}"
    x = randn(2, 5, 8, seed=1)
    assert_close(default(x), post(x))
    assert inspect.signature(nn.TransformerEncoderLayer).parameters["norm_first"].default is False


# ---------------------------------------------------------------- structure


def test_an_encoder_layer_is_two_sublayers_and_two_layernorms_and_nothing_else(impl):
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        layer = caps.make_layer(impl.EncoderLayer, 8, 2, 16, norm_first=norm_first)
        parts = [layer.self_attn, layer.ffn, layer.norm1, layer.norm2]
        assert layer.norm1 is not layer.norm2, "one LayerNorm shared by both sublayers"
        owned = {id(p) for part in parts for p in part.parameters()}
        assert {id(p) for p in layer.parameters()} == owned, "parameters outside self_attn, ffn, norm1, norm2"
        assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for part in parts for p in part.parameters())
    # PyTorch's layers: the encoder has one attention block and two LayerNorms; the decoder
    # adds cross-attention and a third LayerNorm
    for module, n_attention, n_norms in [(nn.TransformerEncoderLayer(8, 2, 16), 1, 2),
                                         (nn.TransformerDecoderLayer(8, 2, 16), 2, 3)]:
        kinds = [type(m) for m in module.modules()]
        assert (kinds.count(nn.MultiheadAttention), kinds.count(nn.LayerNorm)) == (n_attention, n_norms)


def test_without_a_mask_every_output_position_depends_on_every_input_position(impl):
    for norm_first in caps.placements(impl.EncoderLayer):
        layer = _layer(impl, 8, 2, 16, norm_first, seed=3)
        J = torch.autograd.functional.jacobian(layer, randn(1, 5, 8, seed=4))[0, :, :, 0]  # [T, D, T, D]
        blocks = J.norm(dim=(1, 3))  # [T, T]: how much output position t moves with input position s
        # a position that cannot see another gives a block of exact zeros; measured smallest
        # block norm 0.20 (post-norm) and 0.32 (pre-norm), 0.006 over 40 seeded layers
        assert blocks.min() > 1e-6, blocks


def test_with_each_position_allowed_to_attend_only_to_itself_no_position_affects_another(impl):
    # attention is the only sublayer that mixes positions: the FFN and both LayerNorms act
    # on each position alone, so a diagonal mask leaves nothing that crosses positions
    alone = torch.eye(5, dtype=torch.bool)  # [T, T]
    for norm_first in caps.placements(impl.EncoderLayer):
        layer = _layer(impl, 8, 2, 16, norm_first, seed=3)
        J = torch.autograd.functional.jacobian(lambda x: _call(layer, x, alone), randn(1, 5, 8, seed=4))[0, :, :, 0]
        across = J * (1 - torch.eye(5, dtype=F64))[:, None, :, None]  # keep the blocks with t != s
        assert_close(across, torch.zeros_like(J))


@given(st.integers(1, 2), st.integers(2, 5), st.booleans(), seeds, st.data())
def test_with_a_padding_mask_the_outputs_at_real_tokens_ignore_the_padding_tokens(impl, B, T, norm_first, seed, data):
    is_pad = data.draw(pads((B, T)), label="is_pad")  # True at padding
    mask = ~is_pad[:, None, :]  # [B, 1, T]: every query may attend to the real keys
    layer = _layer(impl, 6, 2, 12, caps.placement(impl.EncoderLayer, norm_first), seed)
    x = randn(B, T, 6, seed=seed + 30)
    changed = torch.where(is_pad[..., None], randn(B, T, 6, seed=seed + 31) * 10, x)  # new padding content
    real = ~is_pad
    assert_close(_call(layer, changed, mask)[real], _call(layer, x, mask)[real])


@given(st.integers(1, 8), st.integers(1, 4), st.integers(1, 16), st.booleans())
def test_an_encoder_layer_has_4d2_plus_2df_plus_9d_plus_f_parameters_as_pytorchs_does(impl, Dk, H, d_ff, norm_first):
    D = H * Dk
    norm_first = caps.placement(impl.EncoderLayer, norm_first)
    count = sum(p.numel() for p in caps.make_layer(impl.EncoderLayer, D, H, d_ff, norm_first=norm_first).parameters())
    # attention 4 D² + 4 D, FFN 2 D F + F + D, two LayerNorms 2 · 2 D
    assert count == 4 * D * D + 2 * D * d_ff + 9 * D + d_ff, f"D={D}, H={H}, F={d_ff}: {count}"
    oracle = nn.TransformerEncoderLayer(D, H, d_ff, norm_first=norm_first, device="meta")
    assert count == sum(p.numel() for p in oracle.parameters())


def test_a_base_encoder_layer_has_3152384_parameters(impl):
    for norm_first in caps.placements(impl.EncoderLayer):  # both, or the one the layer declares
        with torch.device("meta"):  # shapes only; d_model 512, 8 heads, d_ff 2048
            layer = caps.make_layer(impl.EncoderLayer, 512, 8, 2048, norm_first=norm_first)
        oracle = nn.TransformerEncoderLayer(512, 8, 2048, norm_first=norm_first, device="meta")
        assert sum(p.numel() for p in layer.parameters()) == sum(p.numel() for p in oracle.parameters()) == 3_152_384


# ---------------------------------------------------------------- residual connections


@given(layer_sizes(), st.data())
def test_pre_norm_layer_output_minus_its_two_sublayer_outputs_is_the_input(impl, dims, data):
    B, T, H, D, d_ff, seed = dims
    mask = data.draw(st.none() | masks((B, T, T)), label="mask")
    layer = _layer(impl, D, H, d_ff, True, seed)
    x = randn(B, T, D, seed=seed + 30)
    attended = _attend(layer, layer.norm1(x), mask)  # what sublayer 1 adds
    fed = layer.ffn(layer.norm2(x + attended))  # what sublayer 2 adds
    assert_close(_call(layer, x, mask) - attended - fed, x)


@given(layer_sizes(), st.data())
def test_a_pre_norm_layer_whose_sublayers_end_in_zero_weights_is_exactly_the_identity(impl, dims, data):
    B, T, H, D, d_ff, seed = dims
    mask = data.draw(st.none() | masks((B, T, T)), label="mask")
    layer = _zero_last_linears(_layer(impl, D, H, d_ff, True, seed))  # everything else random
    x = randn(B, T, D, seed=seed + 30)
    assert_close(_call(layer, x, mask), x, rtol=0, atol=0)  # x + 0 + 0, bit for bit


def test_a_post_norm_layer_whose_sublayers_end_in_zero_weights_is_layernorm_twice_not_the_identity(impl):
    layer = _zero_last_linears(_layer(impl, 8, 2, 16, False, seed=5, fresh_norms=True))
    x = 3 * randn(2, 5, 8, seed=6) + 1  # not already normalised
    y = layer(x)
    assert_close(y, layer.norm2(layer.norm1(x)))  # the residual stream passes through both LayerNorms
    gap = (y - x).abs().max().item()
    assert gap > 1.0, f"max |layer(x) - x| = {gap:.3f}"  # measured 5.4


@pytest.mark.statistical
def test_residuals_keep_the_gradient_of_a_deep_tanh_stack_from_vanishing(stat_seed):
    # 50 layers h <- tanh(W h), W with entries N(0, 0.25 / D): each layer shrinks a gradient
    # by about 0.5, so 0.5^50 ~ 1e-15 reaches the input. With h <- h + tanh(W h) the Jacobian
    # of a layer is I + J, and the identity term carries the gradient through.
    def input_gradient(residual: bool) -> float:
        D = 16
        Ws = randn(50, D, D, seed=3 * stat_seed) * 0.5 / math.sqrt(D)
        x = randn(D, seed=3 * stat_seed + 1).requires_grad_()
        h = x
        for W in Ws:
            h = h + torch.tanh(W @ h) if residual else torch.tanh(W @ h)
        g = randn(D, seed=3 * stat_seed + 2)  # dLoss/dh at the top
        (gx,) = torch.autograd.grad(h @ g, x)
        return (gx.norm() / g.norm()).item()

    plain, residual = input_gradient(False), input_gradient(True)
    # seeds 1..60 (log scale): plain mean -36.6 (1.3e-16), sd 1.5, so 1e-12 = exp(-27.6) is 5.9 sd
    # above it; residual mean 1.86 (6.4), sd 0.53, so 0.05 = exp(-3.0) is 9 sd below it.
    # Seed 0: 6.2e-17 and 33
    assert plain < 1e-12, f"without residuals the input gets {plain:.2g} of the gradient"
    assert residual > 0.05, f"with residuals the input gets {residual:.2g} of the gradient"


@pytest.mark.statistical
def test_residuals_do_not_normalise_gradients_a_deep_linear_residual_stack_explodes(stat_seed):
    # 50 layers of width 64 with W entries N(0, 1 / D): a plain stack h <- W h keeps
    # E|W v|² = |v|², but a residual stack h <- h + W h has E|(I + W) v|² = 2 |v|², so the
    # gradient grows by about √2 per layer: 2^25 ~ 3.4e7 after 50 layers.
    D = 64
    Ws = randn(50, D, D, seed=3 * stat_seed) / math.sqrt(D)
    g = randn(D, seed=3 * stat_seed + 2)
    plain, residual = g.clone(), g.clone()
    for W in reversed(Ws):  # backpropagate: the transposed Jacobians, top layer first
        plain = W.T @ plain
        residual = residual + W.T @ residual
    plain_ratio, residual_ratio = (plain.norm() / g.norm()).item(), (residual.norm() / g.norm()).item()
    # seeds 1..60 (log scale): plain mean -0.47 (0.63), sd 0.61, so 100 = exp(4.6) is 8 sd above;
    # residual mean 17.0 (2.3e7), sd 0.58, so 1e5 = exp(11.5) is 9 sd below. Seed 0: 1.2 and 3.4e7
    assert plain_ratio < 100, f"the plain linear stack scaled the gradient by {plain_ratio:.3g}"
    assert residual_ratio > 1e5, f"the residual stack scaled the gradient by {residual_ratio:.3g}"


# ---------------------------------------------------------------- pre-norm vs post-norm
# The deep-stack checks below are statistical: a stack of L = 24 layers at initialisation
# (random matrices, zero biases, fresh LayerNorms; D = 32, 2 heads) drawn from `stat_seed`,
# the same weights in both placements. Each threshold sits >= 5 standard deviations of the
# per-seed value (measured over seeds 1..40, on the log scale) from its mean.

DEEP_L, DEEP_D = 24, 32


@functools.lru_cache(maxsize=4)
def _deep_stack(impl, norm_first: bool, seed: int) -> tuple[nn.Module, ...]:
    """DEEP_L layers as at initialisation, from `seed` (cached: the checks of one seed read the same stacks)."""
    return tuple(_layer(impl, DEEP_D, 2, 4 * DEEP_D, norm_first, seed=1000 * seed + 40 * k, fresh_norms=True,
                        zero_biases=True) for k in range(DEEP_L))


def _deep_input(seed: int) -> torch.Tensor:
    return randn(2, 8, DEEP_D, seed=seed + 7)  # [B, T, D], unit-variance entries


def _run_deep_stack(impl, norm_first: bool, seed: int) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
    """(x, the residual stream after each layer, the model's output). A pre-norm model ends in a
    final LayerNorm (its stream is never normalised otherwise); a post-norm one does not need it."""
    x = _deep_input(seed).requires_grad_()
    stream = [x]
    for layer in _deep_stack(impl, norm_first, seed):
        stream.append(layer(stream[-1]))
    out = impl.LayerNorm(DEEP_D).to(F64)(stream[-1]) if norm_first else stream[-1]
    return x, stream[1:], out


def _backward_from_output(impl, norm_first: bool, seed: int, wrt: list[torch.Tensor]) -> list[torch.Tensor]:
    x, _, out = _run_deep_stack(impl, norm_first, seed)
    g = randn(*out.shape, seed=seed + 8)  # dLoss/d(output), a random direction
    return torch.autograd.grad((out * g).sum(), [x, *wrt]), g


@pytest.mark.statistical
def test_a_deep_pre_norm_stack_amplifies_the_gradient_along_its_stream_and_its_final_layernorm_brings_it_back_to_size(
        impl, stat_seed):
    x, stream, out = _run_deep_stack(impl, True, stat_seed)
    g_top = randn(*stream[-1].shape, seed=stat_seed + 8)  # dLoss/d(top of the residual stream)
    (gx_top,) = torch.autograd.grad((stream[-1] * g_top).sum(), x, retain_graph=True)
    g_out = randn(*out.shape, seed=stat_seed + 8)  # dLoss/d(output of the final LayerNorm)
    (gx_out,) = torch.autograd.grad((out * g_out).sum(), x)
    along_stream, through_all = (gx_top.norm() / g_top.norm()).item(), (gx_out.norm() / g_out.norm()).item()
    # along the stream, Π(I + J_l): the identity path plus every sublayer's. Seeds 1..40: log-ratio
    # mean 1.80 (6.1x), sd 0.25, so 1.5 = exp(0.41) is 5.6 sd below (smallest seen 3.8). Without the
    # residual, or with post-norm, it is anywhere from 0.02 to 4 (0.6 and 0.8 at seed 0).
    assert along_stream > 1.5, f"|dLoss/dx| / |dLoss/d(top of stream)| = {along_stream:.3g} through {DEEP_L} layers"
    # the final LayerNorm divides by the grown stream's std (~5): seeds 1..40: log-ratio mean 0.13
    # (1.14x), sd 0.28, so 0.25 = exp(-1.39) is 5.4 sd below (smallest seen 0.76)
    assert through_all > 0.25, f"|dLoss/dx| / |dLoss/d(output)| = {through_all:.3g} with the final LayerNorm"


@pytest.mark.statistical
def test_at_initialisation_the_top_layers_parameter_gradients_are_several_times_larger_in_post_norm_than_pre_norm(
        impl, stat_seed):
    # Xiong et al. 2020: with post-norm the gradient of the last layer's parameters does not
    # shrink with depth, with pre-norm it shrinks like 1/sqrt(L); hence post-norm's need for warmup
    top = {}
    for norm_first in (False, True):
        params = list(_deep_stack(impl, norm_first, stat_seed)[-1].parameters())
        (_, *grads), _ = _backward_from_output(impl, norm_first, stat_seed, params)
        top[norm_first] = torch.sqrt(sum(gr.pow(2).sum() for gr in grads)).item()
    ratio = top[False] / top[True]
    # measured over seeds 1..40: geometric mean 4.3 (sqrt(24) = 4.9), log-ratio mean 1.46,
    # sd 0.14, so 2 = exp(0.69) is 5.4 sd below the mean (smallest seen 3.1)
    assert ratio > 2, f"top-layer gradient norm: post-norm {top[False]:.3g}, pre-norm {top[True]:.3g}"


@pytest.mark.statistical
def test_post_norm_outputs_stay_normalised_while_the_pre_norm_residual_stream_grows_with_depth(impl, stat_seed):
    with torch.no_grad():
        _, post, _ = _run_deep_stack(impl, False, stat_seed)
        _, pre, _ = _run_deep_stack(impl, True, stat_seed)
    # each post-norm output is LN(...) with weight 1, bias 0: per-position std √(v / (v + ε)) ~ 1
    worst = max((h.std(dim=-1, unbiased=False) - 1).abs().max().item() for h in post)
    assert worst < 1e-4, f"a post-norm layer output has a per-position std {worst:.2g} away from 1"
    spread = [h.std(dim=-1, unbiased=False).mean().item() for h in pre]  # per-position std, averaged
    # measured over seeds 1..40: after 24 layers 5.3 (sd 0.52, smallest 4.2) from 1.3 after one;
    # log(last / first) has mean 1.41 and sd 0.11, so a ratio of 2 is 6.3 sd below the mean
    assert spread[-1] > 2 * spread[0] and spread[-1] > 2.5, f"pre-norm stream std by layer: {spread}"


@pytest.mark.statistical
def test_in_a_deep_pre_norm_stack_later_layers_change_the_growing_residual_stream_relatively_less(impl, stat_seed):
    with torch.no_grad():
        x, stream, _ = _run_deep_stack(impl, True, stat_seed)
    before = [x, *stream[:-1]]
    relative = [((after - h).norm() / h.norm()).item() for h, after in zip(before, stream)]  # |update| / |stream|
    ratio = relative[0] / relative[-1]
    # measured over seeds 1..40: first / last layer 3.9 (smallest 2.7); log-ratio mean 1.36,
    # sd 0.17, so 1.5 = exp(0.41) is 5.6 sd below the mean
    assert ratio > 1.5, f"relative update of layer 1 vs layer {DEEP_L}: {relative[0]:.3g} vs {relative[-1]:.3g}"


@pytest.mark.statistical
def test_scaling_each_sublayers_last_projection_by_one_over_sqrt_2l_keeps_the_pre_norm_stream_from_growing(
        impl, stat_seed):
    # GPT-2's initialisation: the residual stream receives 2L sublayer outputs, so the last
    # projection of each (W_O, W_2) is scaled by 1/√(2L) and their variances add up to O(1)
    scaled = []
    for k in range(DEEP_L):
        layer = _layer(impl, DEEP_D, 2, 4 * DEEP_D, True, seed=1000 * stat_seed + 40 * k, fresh_norms=True,
                       zero_biases=True)  # the same weights as _deep_stack's, then scaled
        with torch.no_grad():
            for name in LAST_LINEARS:
                attrgetter(name)(layer).weight.mul_(1 / math.sqrt(2 * DEEP_L))
        scaled.append(layer)
    with torch.no_grad():
        _, plain_stream, _ = _run_deep_stack(impl, True, stat_seed)
        h = _deep_input(stat_seed)
        for layer in scaled:
            h = layer(h)
    plain, small = (t.std(dim=-1, unbiased=False).mean().item() for t in (plain_stream[-1], h))
    # seeds 1..30: 5.2 (sd 0.44) without and 1.15 (sd 0.037) with the scaling; log(plain / scaled)
    # has mean 1.51, sd 0.079, so a ratio of 2.5 = exp(0.92) is 7.5 sd below; 2 is 23 sd above 1.15
    assert small < 2 and plain / small > 2.5, f"stream std after {DEEP_L} layers: {plain:.3g} plain, {small:.3g} scaled"


@given(st.integers(2, 8), seeds, st.floats(0.1, 10))
def test_a_layernorm_multiplies_the_gradient_norm_by_at_most_one_over_the_std_of_what_it_normalises(
        impl, D, seed, scale):
    x = scale * randn(D, seed=seed) + 1  # one position
    ln = impl.LayerNorm(D).to(F64)  # weight 1, bias 0
    J = torch.autograd.functional.jacobian(ln, x)  # [D, D]
    s = torch.sqrt(x.var(unbiased=False) + ln.eps)  # √(v + ε)
    y = (x - x.mean()) / s
    centre = torch.eye(D, dtype=F64) - 1 / D  # removes the mean
    assert_close(J, (centre - torch.outer(y, y) / D) / s)  # symmetric, so J = Jᵀ for backprop
    # its norm is at most 1/s: a shrink when s > 1, an amplification when s < 1
    assert torch.linalg.matrix_norm(J, ord=2) <= 1 / s * (1 + 1e-12)


@pytest.mark.statistical
def test_x_plus_layernorm_of_sublayer_is_neither_post_norm_nor_pre_norm(impl, stat_seed):
    post = _layer(impl, 8, 2, 16, False, seed=100 * stat_seed)
    pre = _layer(impl, 8, 2, 16, True, seed=100 * stat_seed)  # the same weights
    x = randn(2, 5, 8, seed=100 * stat_seed + 1)
    h = x + post.norm1(_attend(post, x))  # the LayerNorm moved onto the branch output
    written = h + post.norm2(post.ffn(h))
    gap_post = (written - post(x)).abs().max().item()
    gap_pre = (written - pre(x)).abs().max().item()
    # an O(1) difference: over seeds 1..300 the smaller gap has geometric mean 5.0, log sd 0.23,
    # smallest 2.7, so 1.0 = exp(0) is 7 sd below the mean
    assert gap_post > 1.0 and gap_pre > 1.0, f"max |x + LN(F(x)) - layer(x)|: post-norm {gap_post:.3g}, pre-norm {gap_pre:.3g}"
