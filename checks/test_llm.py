"""Claims about large language models in practice (questions/llm/*.yaml): the modern block
(RMSNorm, SwiGLU, GELU) and the cost of long inputs. (Mixture of experts, LoRA, BPE and
in-context learning have their own check files: test_moe.py, test_lora.py, test_bpe.py,
test_in_context_learning.py.)

SwiGLU is not in the implementation contract, so it has a small reference below, checked
against PyTorch (`nn.RMSNorm`, `F.gelu`, `FlopCounterMode`) or against the mathematical fact directly. Weights are seeded.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks.modules import count_parts, gpt_parts_on_meta
from checks.strategies import randn, seeds


def _flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


# --- the modern block: RMSNorm, SwiGLU, GELU ---------------------------------------------

def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last axis: no mean subtraction, no bias."""
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


@given(st.integers(1, 4), st.integers(2, 8), seeds)
def test_rmsnorm_matches_torch_rmsnorm(T, D, seed):
    x, w = randn(T, D, seed=seed), randn(D, seed=seed + 1)
    torch_norm = nn.RMSNorm(D, eps=1e-6, dtype=torch.float64)
    with torch.no_grad():
        torch_norm.weight.copy_(w)
    assert_close(rms_norm(x, w), torch_norm(x))


def test_rmsnorm_does_not_centre_so_a_shift_of_the_input_changes_it_while_layernorm_ignores_it():
    x, c = randn(3, 8, seed=2), 5.0
    ones = torch.ones(8, dtype=torch.float64)
    assert_close(F.layer_norm(x + c, (8,)), F.layer_norm(x, (8,)))
    assert not torch.allclose(rms_norm(x + c, ones), rms_norm(x, ones), atol=1e-3)
    # with zero-mean rows the two coincide (up to eps): RMSNorm drops only the centring
    xc = x - x.mean(-1, keepdim=True)
    assert_close(rms_norm(xc, ones, eps=1e-5), F.layer_norm(xc, (8,), eps=1e-5))


def test_rmsnorm_has_half_the_parameters_of_layernorm():
    assert sum(p.numel() for p in nn.RMSNorm(512).parameters()) == 512
    assert sum(p.numel() for p in nn.LayerNorm(512).parameters()) == 1024


def swiglu_ffn(x: torch.Tensor, w_gate: torch.Tensor, w_up: torch.Tensor, w_down: torch.Tensor) -> torch.Tensor:
    """(silu(x W_gate) * (x W_up)) W_down: x [.., D], W_gate/W_up [D, F], W_down [F, D]."""
    return (F.silu(x @ w_gate) * (x @ w_up)) @ w_down


def test_swiglu_maps_d_to_d_with_three_matrices_so_f_is_cut_to_two_thirds_to_keep_the_parameter_count():
    D, F_ = 12, 48
    F_swiglu = 2 * F_ // 3                                          # 32
    x = randn(2, 5, D, seed=3)
    out = swiglu_ffn(x, randn(D, F_swiglu, seed=4), randn(D, F_swiglu, seed=5), randn(F_swiglu, D, seed=6))
    assert out.shape == (2, 5, D)
    assert 3 * D * F_swiglu == 2 * D * F_                           # same weights as the ReLU FFN


def test_swiglu_gate_multiplies_so_zeroing_the_up_projection_zeroes_the_output():
    D, F_ = 6, 8
    x = randn(4, D, seed=7)
    assert_close(swiglu_ffn(x, randn(D, F_, seed=8), torch.zeros(D, F_, dtype=torch.float64), randn(F_, D, seed=9)),
                 torch.zeros(4, D, dtype=torch.float64))


@given(seeds)
def test_gelu_is_x_times_the_normal_cdf_and_the_tanh_form_approximates_it(seed):
    x = randn(50, seed=seed) * 3
    assert_close(F.gelu(x), x * 0.5 * (1 + torch.erf(x / math.sqrt(2))))
    assert (F.gelu(x, approximate="tanh") - F.gelu(x)).abs().max() < 1e-3  # measured max ~4.7e-4


def test_gelu_is_smooth_at_zero_and_lets_small_negative_inputs_through_unlike_relu():
    x = torch.tensor([-1.0, -0.5], dtype=torch.float64, requires_grad=True)
    F.gelu(x).sum().backward()
    assert (F.gelu(x) < 0).all() and (x.grad != 0).all()
    assert (F.relu(x) == 0).all()


# --- challenges: cost of long inputs, memory of large models ----------------------------

def test_attention_flops_grow_fourfold_when_the_sequence_doubles():
    # A fact about attention itself, not about one implementation: every correct one does the
    # same two T x T x D matrix products (counted on the textbook form, which FlopCounterMode sees).
    D = 16
    f = {}
    for T in (64, 128, 256):
        q = randn(1, T, D, seed=T)
        f[T] = _flops(lambda: torch.softmax(q @ q.transpose(-2, -1) / D**0.5, dim=-1) @ q)
        assert f[T] == 4 * T * T * D, f[T]                         # QK^T and AV: 2 T^2 D each
    assert f[128] == 4 * f[64] and f[256] == 4 * f[128], f         # quadratic, not exponential


GPT3 = dict(L=96, d=12288, heads=96, vocab=50257, ctx=2048)  # Brown et al. 2020, Table 2.1; GPT-2's vocabulary


def test_gpt3_counted_on_the_meta_device_has_174_6b_parameters_taking_349_gb_in_fp16_and_9_7_gb_of_kv_cache():
    parts = gpt_parts_on_meta(**GPT3, dtype=torch.float16)  # shapes only, on the meta device
    params = count_parts(parts)
    weight_bytes = sum(copies * p.numel() * p.element_size() for _, m, copies in parts for p in m.parameters())
    assert round(params / 1e9, 1) == 174.6, params  # 174,604,259,328: "175B" is rounded up
    assert round(weight_bytes / 1e9) == 349 and round(weight_bytes / 2**30) == 325, weight_bytes
    # the KV cache of one 2048-token sequence: each of the 96 layers keeps one key and one value
    # per token, as wide as the out_features of its K or V projection (in_proj stacks W_Q, W_K, W_V)
    block = dict((name, m) for name, m, _ in parts)["block"]
    w_k, w_v = block.self_attn.in_proj_weight.chunk(3)[1:]
    per_layer = [torch.empty(GPT3["ctx"], w.size(0), dtype=w.dtype, device="meta") for w in (w_k, w_v)]
    cache_bytes = GPT3["L"] * sum(t.numel() * t.element_size() for t in per_layer)
    assert round(cache_bytes / 1e9, 1) == 9.7, cache_bytes  # 2 · 96 · 2048 · 12288 · 2 bytes


def test_a_vision_transformer_turns_a_224_pixel_image_into_196_patch_tokens():
    img = randn(1, 3, 224, 224, seed=16)
    patches = img.unfold(2, 16, 16).unfold(3, 16, 16)              # [B, C, 14, 14, 16, 16]
    tokens = patches.permute(0, 2, 3, 1, 4, 5).reshape(1, 14 * 14, 3 * 16 * 16)
    conv = nn.Conv2d(3, 8, 16, stride=16, bias=False, dtype=torch.float64)
    embedded = conv(img).flatten(2).transpose(1, 2)                # [B, 196, 8]: the usual patch embedding
    assert tokens.shape == (1, 196, 768)
    assert_close(embedded, tokens @ conv.weight.reshape(8, -1).T)
