"""Claims about large language models in practice (questions/llm/*.yaml): GELU, the cost of
long inputs, GPT-3's size counted on the meta device, vision transformers' patch tokens.
(RMSNorm, SwiGLU, the LLaMA block, mixture of experts, LoRA, BPE and in-context learning are
components or have their own check files.) These are facts, checked against PyTorch
(`F.gelu`, `FlopCounterMode`) or the mathematics directly. Weights are seeded.
"""

import math

import torch
import torch.nn.functional as F
from hypothesis import given
from torch import nn
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from checks.modules import count_parts, gpt_parts_on_meta
from checks.strategies import randn, seeds


def _flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


# --- GELU ---------------------------------------------------------------------------------


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
