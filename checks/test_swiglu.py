"""Claims about the SwiGLU feed-forward network (questions/feed-forward/swiglu-vs-relu-ffn.yaml,
questions/llm/modern-llm-block.yaml, questions/llm/llama-style-decoder-block.yaml).

Each check is named as the claim reads. The formula is checked against torch's own F.silu in
float64, with random weights copied into the implementation; the parameter counts are read
from real modules built on the `meta` device (no memory, any size) and compared with
bias-free nn.Linear layers of the ReLU FFN. PyTorch has no SwiGLU module; Hugging Face's
LlamaMLP passes these checks (tests/test_adapter_huggingface.py).
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from checks.strategies import randn, seeds

F64 = torch.float64
widths = st.integers(2, 6)  # D >= 2 and F >= 2, so a swapped or misplaced matrix shows
lengths = st.integers(2, 4)  # T >= 2 positions
LLAMA_WIDTHS = (4096, 5120, 6656, 8192)  # d_model of LLaMA 7B, 13B, 33B, 65B


def _swiglu(impl, D: int, d_ff: int, seed: int) -> nn.Module:
    """impl.SwiGLU in float64 with seeded weights W ~ N(0, 1/fan_in)."""
    ffn = impl.SwiGLU(D, d_ff).to(F64)
    with torch.no_grad():
        for i, linear in enumerate((ffn.w1, ffn.w2, ffn.w3)):
            linear.weight.copy_(randn(*linear.weight.shape, seed=seed + i) / math.sqrt(linear.in_features))
    return ffn


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _relu_ffn_params(D: int, d_ff: int) -> int:
    """Weights of the bias-free ReLU FFN D -> d_ff -> D, counted from real (meta) layers."""
    with torch.device("meta"):
        return _n_params(nn.Sequential(nn.Linear(D, d_ff, bias=False), nn.ReLU(), nn.Linear(d_ff, D, bias=False)))


@given(widths, widths, lengths, seeds)
def test_swiglu_is_w2_of_silu_of_w1x_times_w3x(impl, D, d_ff, T, seed):
    x = 2 * randn(2, T, D, seed=seed + 10)  # [B, T, D]; pre-activations of order 1-3, where silu and gelu differ
    ffn = _swiglu(impl, D, d_ff, seed)
    W1, W2, W3 = ffn.w1.weight.T, ffn.w2.weight.T, ffn.w3.weight.T  # [D, F], [F, D], [D, F]
    gate = F.silu(torch.einsum("btd,df->btf", x, W1))  # silu(z) = z * sigmoid(z)
    expected = torch.einsum("btf,fd->btd", gate * torch.einsum("btd,df->btf", x, W3), W2)
    # the formula acts on each row x[b, t] alone, so matching it also proves SwiGLU is position-wise
    assert_close(ffn(x), expected, msg=lambda m: f"SwiGLU(x) should be w2(silu(w1 x) * w3 x), without biases: {m}")


@given(widths, widths)
def test_swiglu_has_three_bias_free_d_by_f_matrices_so_3_d_f_parameters(impl, D, d_ff):
    ffn = impl.SwiGLU(D, d_ff)
    shapes = {name: tuple(getattr(ffn, name).weight.shape) for name in ("w1", "w2", "w3")}
    assert shapes == {"w1": (d_ff, D), "w2": (D, d_ff), "w3": (d_ff, D)}, (
        f"weight shapes {shapes}: expected w1, w3 D -> F and w2 F -> D as nn.Linear stores them ([out, in])")
    with torch.device("meta"):
        three = _n_params(nn.ModuleList([nn.Linear(D, d_ff, bias=False), nn.Linear(D, d_ff, bias=False),
                                         nn.Linear(d_ff, D, bias=False)]))
    found = _n_params(ffn)
    assert found == three, f"SwiGLU({D}, {d_ff}) has {found} parameters; three bias-free D x F matrices hold {three}"


@given(widths, widths, lengths, st.floats(-3.0, 3.0), seeds)
def test_swiglu_output_is_linear_in_the_up_projection_so_a_zero_up_projection_gives_zero(impl, D, d_ff, T, c, seed):
    x = randn(T, D, seed=seed + 10)
    ffn = _swiglu(impl, D, d_ff, seed)
    y = ffn(x)
    with torch.no_grad():
        ffn.w3.weight.mul_(c)  # the gate multiplies: W3 -> c W3 gives c * SwiGLU(x)
    assert_close(ffn(x), c * y, msg=lambda m: f"scaling w3 by c = {c:.3f} should scale the output by c: {m}")
    with torch.no_grad():
        ffn.w3.weight.zero_()
    assert_close(ffn(x), torch.zeros_like(y), msg=lambda m: f"with w3 = 0 the product, hence the output, is 0: {m}")


@given(st.integers(1, 20_000), st.sampled_from([1, 8, 64, 256, 1024]))
def test_llama_hidden_width_is_8_3_d_rounded_up_to_a_multiple_of_256_so_11008_at_d_4096(impl, D, multiple_of):
    two_thirds_of_4d = int(2 * (4 * D) / 3)  # 3 matrices at width F hold what 2 hold at width 4 D when F = 8D/3
    width = impl.swiglu_hidden_width(D, multiple_of)
    assert width % multiple_of == 0 and two_thirds_of_4d <= width < two_thirds_of_4d + multiple_of, (
        f"swiglu_hidden_width({D}, {multiple_of}) = {width}; expected int(8·{D}/3) = {two_thirds_of_4d} "
        f"rounded up to a multiple of {multiple_of}")
    found = impl.swiglu_hidden_width(4096)  # LLaMA-7B: dim 4096, multiple_of 256 (its params.json)
    assert found == 11008, f"swiglu_hidden_width(4096) = {found}; LLaMA-7B's FFN width is 11008"


def test_at_llama_sizes_that_width_keeps_the_parameter_count_of_a_4d_relu_ffn(impl):
    for D in LLAMA_WIDTHS:
        with torch.device("meta"):  # real modules, no memory
            swiglu = _n_params(impl.SwiGLU(D, impl.swiglu_hidden_width(D)))
        relu = _relu_ffn_params(D, 4 * D)  # 8 D², the FFN of the original Transformer without biases
        # rounding F up by less than 256 adds less than 3 · 256 · D: a ratio below 1 + 3·256 / (8 D)
        ratio, bound = swiglu / relu, 1 + 3 * 256 / (8 * D)  # measured 1.0078 at D = 4096
        assert 1 <= ratio < bound, (f"D = {D}: SwiGLU has {swiglu:,} parameters, the 4D ReLU FFN {relu:,} "
                                    f"(ratio {ratio:.4f}, expected in [1, {bound:.4f}))")
