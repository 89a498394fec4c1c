"""A LLaMA decoder block written out from torch primitives, as an oracle for DecoderBlock.

    h = x + W_O · attention(RoPE(W_Q n), RoPE(W_K n), W_V n),  n = rms_norm(x)   (causal, GQA)
    y = h + W_2 (silu(W_1 m) * W_3 m),                          m = rms_norm(h)

Built from F.rms_norm, F.linear, F.silu, F.scaled_dot_product_attention (is_causal=True,
enable_gqa=True: query head h reads key/value head h // (H / Hkv)) and the RoPE rotation
matrices of checks/oracles/rope.py (halves layout, positions 0 .. T-1). The weights are
passed by the contract's attribute paths (`self_attn.q_proj.weight`, `ffn.w1.weight`, ...),
nn.Linear's [out, in] layout. Used by checks/test_decoder_block.py.
"""

import torch.nn.functional as F
from torch import Tensor

from checks.oracles.rope import rotate

WEIGHTS = ("norm1.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
           "self_attn.out_proj.weight", "norm2.weight", "ffn.w1.weight", "ffn.w2.weight", "ffn.w3.weight")


def weight_shapes(D: int, H: int, Hkv: int, d_ff: int) -> dict[str, tuple[int, ...]]:
    """The shape of every weight of a LLaMA block: Dk = D / H, K and V with Hkv heads."""
    Dk = D // H
    return {"norm1.weight": (D,), "self_attn.q_proj.weight": (H * Dk, D), "self_attn.k_proj.weight": (Hkv * Dk, D),
            "self_attn.v_proj.weight": (Hkv * Dk, D), "self_attn.out_proj.weight": (D, H * Dk),
            "norm2.weight": (D,), "ffn.w1.weight": (d_ff, D), "ffn.w2.weight": (D, d_ff), "ffn.w3.weight": (d_ff, D)}


def llama_block(x: Tensor, w: dict[str, Tensor], H: int, Hkv: int, eps: float = 1e-6,
                base: float = 10000.0) -> Tensor:
    """x [B, T, D] -> [B, T, D]."""
    B, T, D = x.shape
    Dk = D // H

    def heads(y: Tensor, n: int) -> Tensor:  # [B, T, n * Dk] -> [B, n, T, Dk]
        return y.view(B, T, n, Dk).transpose(1, 2)

    n = F.rms_norm(x, (D,), w["norm1.weight"], eps)
    q = rotate(heads(F.linear(n, w["self_attn.q_proj.weight"]), H), list(range(T)), base)
    k = rotate(heads(F.linear(n, w["self_attn.k_proj.weight"]), Hkv), list(range(T)), base)
    v = heads(F.linear(n, w["self_attn.v_proj.weight"]), Hkv)  # values carry no position
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)  # [B, H, T, Dk]
    h = x + F.linear(a.transpose(1, 2).reshape(B, T, H * Dk), w["self_attn.out_proj.weight"])
    m = F.rms_norm(h, (D,), w["norm2.weight"], eps)
    return h + F.linear(F.silu(F.linear(m, w["ffn.w1.weight"])) * F.linear(m, w["ffn.w3.weight"]), w["ffn.w2.weight"])
