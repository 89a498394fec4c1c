"""PyTorch's own implementations, exposed through the implementation contract.

`pytest checks --impl qbank.adapters.pytorch` grades PyTorch itself. A check that fails
here rejects a correct implementation, so it is the check that is wrong; `tests/`
runs this on every change.

Where PyTorch has no public module for a contract name (split_heads, merge_heads; SwiGLU,
swiglu_hidden_width and the LLaMA DecoderBlock, which qbank.adapters.huggingface takes from
transformers) this adapter leaves it out, and the checks of that name are skipped. The only code here
converts conventions: PyTorch's MultiheadAttention takes a bool mask that is True where
attending is NOT allowed, the opposite of the contract (and of SDPA).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def attention_weights(q: Tensor, k: Tensor, mask: Tensor | None = None) -> Tensor:
    # SDPA returns weights @ v; with v = the identity, that is the weights themselves
    eye = torch.eye(k.size(-2), dtype=q.dtype).expand(*k.shape[:-1], k.size(-2))
    return F.scaled_dot_product_attention(q, k, eye, attn_mask=mask)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def causal_mask(T: int) -> Tensor:
    return nn.Transformer.generate_square_subsequent_mask(T) == 0  # 0 = allowed, -inf = future


def padding_mask(is_pad: Tensor) -> Tensor:
    return ~is_pad[:, None, :]  # nn.MultiheadAttention's key_padding_mask is is_pad itself


class MultiHeadAttention(nn.Module):
    """`F.multi_head_attention_forward`, the function behind nn.MultiheadAttention,
    with separate q/k/v projections stored as the contract's nn.Linear layers."""

    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None) -> Tensor:
        B, T, D = query.shape
        S = key.size(1)
        attn_mask = None
        if mask is not None:  # [B?, T?, S], True = may attend -> [B*H, T, S], True = blocked
            attn_mask = ~mask.expand(B, T, S).repeat_interleave(self.n_heads, dim=0)
        out, _ = F.multi_head_attention_forward(
            query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), D, self.n_heads,
            in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.out_proj.weight, out_proj_bias=self.out_proj.bias,
            need_weights=False, attn_mask=attn_mask, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight)
        return out.transpose(0, 1)  # [T, B, D] -> [B, T, D]


class CrossAttention(MultiHeadAttention):
    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:
        return super().forward(x, memory, memory, mask)


LayerNorm = nn.LayerNorm
BatchNorm = nn.BatchNorm1d


class RMSNorm(nn.RMSNorm):
    """nn.RMSNorm over the last dimension. Only the default eps differs: nn.RMSNorm's is
    None (the input dtype's machine epsilon), the contract's is LLaMA's 1e-6."""

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__(d_model, eps=eps)


class FeedForward(nn.Module):
    """The FFN of nn.TransformerEncoderLayer: linear1 -> ReLU -> linear2 (its dropouts at 0)."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(F.relu(self.linear1(x)))


class EncoderLayer(nn.Module):
    """nn.TransformerEncoderLayer(d_model, n_heads, d_ff, dropout=0, batch_first=True, norm_first=...)
    itself, run on the contract's submodules: self_attn (MultiHeadAttention above), ffn
    (FeedForward above), norm1, norm2 (nn.LayerNorm). Each forward calls PyTorch's layer
    through torch.func.functional_call with its parameters taken from those submodules (the
    q/k/v weights concatenated into its fused in_proj), so the computation is PyTorch's own
    forward and gradients reach the submodules. PyTorch's layer is kept outside the module
    tree, so it adds no parameters, and always in training mode: with dropout 0 that changes
    nothing, but it keeps PyTorch off its fused inference fast path, which returns NaN for a
    query whose mask row is all False (the contract: that query attends to nothing)."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.n_heads, self.norm_first = n_heads, norm_first
        self.self_attn = MultiHeadAttention(d_model, n_heads)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.__dict__["_torch_layer"] = nn.TransformerEncoderLayer(  # not a registered submodule
            d_model, n_heads, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first, device="meta")

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        a, f = self.self_attn, self.ffn
        params = {
            "self_attn.in_proj_weight": torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]),
            "self_attn.in_proj_bias": torch.cat([a.q_proj.bias, a.k_proj.bias, a.v_proj.bias]),
            "self_attn.out_proj.weight": a.out_proj.weight, "self_attn.out_proj.bias": a.out_proj.bias,
            "linear1.weight": f.linear1.weight, "linear1.bias": f.linear1.bias,
            "linear2.weight": f.linear2.weight, "linear2.bias": f.linear2.bias,
            **{f"{n}.{p}": getattr(getattr(self, n), p) for n in ("norm1", "norm2") for p in ("weight", "bias")},
        }
        src_mask = None
        if mask is not None:  # [B?, T?, T], True = may attend -> [B*H, T, T], True = blocked
            B, T, _ = x.shape
            src_mask = ~mask.expand(B, T, T).repeat_interleave(self.n_heads, dim=0)
        self._torch_layer.train()  # dropout is 0; see the docstring
        self._torch_layer.norm_first = self.norm_first
        return torch.func.functional_call(self._torch_layer, params, (x,), {"src_mask": src_mask})


# --- rope, gqa, kv_cache, softmax (modern-b) ------------------------------------------------
# PyTorch has no rotary embedding, attention module with grouped K/V heads, or KV cache; it has
# grouped-query SDPA (enable_gqa=True: query head h reads K/V head h // (H / Hkv)), a lower-right
# aligned causal mask (torch.nn.attention.bias.causal_lower_right), softmax and logsumexp.


def grouped_query_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)


def causal_mask_lower_right(T: int, S: int) -> Tensor:
    """PyTorch's CausalBias is applied inside SDPA, not handed out as a tensor: read it back
    through SDPA with equal scores and v = the identity (weight 1/n on each visible key, 0 elsewhere)."""
    from torch.nn.attention.bias import causal_lower_right

    zeros = lambda n: torch.zeros(1, n, 1, dtype=torch.float64)  # noqa: E731
    eye = torch.eye(S, dtype=torch.float64)[None]
    return (F.scaled_dot_product_attention(zeros(T), zeros(S), eye, attn_mask=causal_lower_right(T, S)) > 0)[0]


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return torch.softmax(x, dim=dim)


def logsumexp(x: Tensor, dim: int = -1) -> Tensor:
    return torch.logsumexp(x, dim=dim)
