"""Hugging Face transformers' own LLaMA code, exposed through the implementation contract.

PyTorch ships nn.RMSNorm but no SwiGLU, rotary embedding, grouped-query attention, KV cache
or LLaMA block. transformers does, in `transformers.models.llama.modeling_llama`, and this
adapter hands those implementations to the checks:
`pytest checks --impl qbank.adapters.huggingface` grades Hugging Face itself, and
tests/test_adapter_huggingface.py asserts that no check rejects it. A check that fails here
rejects a correct implementation, so it is the check that is wrong, unless a documented
convention differs (the contract then says which).

Tests only: the checks and the `qbank` command never import transformers. Every module is
built from a small LlamaConfig with random weights; nothing is downloaded. The code below only
renames: the contract's names and signatures on one side, transformers' classes and
attribute names on the other; the arithmetic is transformers'. One section per component.

Conventions transformers keeps that the checks allow for: LlamaRMSNorm normalises in float32
and the rotary angles are computed in float32 whatever the input's dtype, so results carry
float32 rounding (~1e-7 relative) even for float64 inputs.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from transformers import LlamaConfig
from transformers.models.llama import modeling_llama as llama


def llama_config(d_model: int, n_heads: int = 1, n_kv_heads: int | None = None, d_ff: int = 1,
                 eps: float = 1e-6, base: float = 10000.0, head_dim: int | None = None) -> LlamaConfig:
    """A one-layer LlamaConfig of the given sizes: no biases, SiLU, SDPA attention."""
    config = LlamaConfig(
        hidden_size=d_model, num_attention_heads=n_heads, num_key_value_heads=n_kv_heads or n_heads,
        head_dim=head_dim or d_model // n_heads, intermediate_size=d_ff, rms_norm_eps=eps, hidden_act="silu",
        rope_parameters={"rope_type": "default", "rope_theta": base}, attention_bias=False, mlp_bias=False,
        num_hidden_layers=1, vocab_size=8, max_position_embeddings=4096)
    # SDPA, transformers' default attention: it computes in the input's dtype (its "eager" path
    # computes the softmax in float32)
    config._attn_implementation = "sdpa"
    return config


# ============================================================ rms_norm  (LlamaRMSNorm)


class RMSNorm(llama.LlamaRMSNorm):
    """LlamaRMSNorm: weight * x / sqrt(mean(x²) + eps), the statistics in float32.
    transformers calls eps `variance_epsilon`; `eps` reads and writes it."""

    def __init__(self, d_model: int, eps: float = 1e-6):
        super().__init__(d_model, eps=eps)

    @property
    def eps(self) -> float:
        return self.variance_epsilon

    @eps.setter
    def eps(self, value: float) -> None:
        self.variance_epsilon = value


# transformers has no LayerNorm of its own: its models (GPT-2, BERT) use torch's. Exposed so the
# checks that compare RMSNorm with the contract's LayerNorm run on LlamaRMSNorm too.
LayerNorm = nn.LayerNorm


# ============================================================ swiglu  (LlamaMLP)


class SwiGLU(llama.LlamaMLP):
    """LlamaMLP: down_proj(silu(gate_proj(x)) * up_proj(x)). The contract's w1, w3, w2 are
    transformers' gate_proj, up_proj, down_proj (the same nn.Linear layers, not copies).
    transformers has no function for LLaMA's width rule (its configs store the width), so
    `swiglu_hidden_width` is left out and its checks skip."""

    def __init__(self, d_model: int, d_ff: int):
        # head_dim plays no part in the MLP; an even one keeps LlamaConfig's RoPE validation quiet
        super().__init__(llama_config(d_model, d_ff=d_ff, head_dim=2))

    w1 = property(lambda self: self.gate_proj)
    w3 = property(lambda self: self.up_proj)
    w2 = property(lambda self: self.down_proj)


# ============================================================ rope  (modern-b)

# LlamaRotaryEmbedding (the cos/sin table, angles in float32) and apply_rotary_pos_emb (the
# rotation, `rotate_half`: pairs (i, i + Dk/2)) for the halves layout; GPT-J's
# apply_rotary_pos_emb (`rotate_every_two`: pairs (2i, 2i+1)) for the interleaved one, fed the
# same angles. Position interpolation is transformers' "linear" RoPE type, whose factor divides
# the frequencies: factor = 1 / scale. transformers has no function for the permutation between
# the layouts (its LLaMA converter script is not part of the package): interleaved_to_halves is
# left out and its check skips.

from functools import lru_cache  # noqa: E402

from transformers.models.gptj import modeling_gptj as gptj  # noqa: E402


@lru_cache(maxsize=None)
def _rotary(Dk: int, base: float, scale: float) -> llama.LlamaRotaryEmbedding:
    config = llama_config(Dk, head_dim=Dk, base=base)
    if scale != 1.0:
        config.rope_parameters = {"rope_type": "linear", "factor": 1.0 / scale, "rope_theta": base}
    with torch.device("cpu"):  # cached: never let a caller's `torch.device("meta")` block place it
        return llama.LlamaRotaryEmbedding(config)


def _cos_sin(x: Tensor, positions: Tensor, base: float, scale: float) -> tuple[Tensor, Tensor]:
    """transformers' table for every position of x.shape[:-1]: cos, sin [..., T, Dk] (halves layout)."""
    positions = positions.to(x.device).expand(x.shape[:-1])
    cos, sin = _rotary(x.size(-1), float(base), float(scale))(x, positions.reshape(1, -1))  # [1, N, Dk]
    return cos.reshape(x.shape), sin.reshape(x.shape)


def rope_frequencies(Dk: int, base: float = 10000.0) -> Tensor:
    inv_freq, _ = llama.LlamaRotaryEmbedding.compute_default_rope_parameters(llama_config(Dk, head_dim=Dk, base=base))
    return inv_freq.double()  # transformers keeps them in float32; the contract returns float64


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    cos, sin = _cos_sin(x, positions, base, scale)
    # apply_rotary_pos_emb unsqueezes cos and sin at `unsqueeze_dim`: give x that axis too
    return llama.apply_rotary_pos_emb(x[None], x[None], cos, sin, unsqueeze_dim=0)[0][0]


def apply_rope_interleaved(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    cos, sin = _cos_sin(x, positions, base, scale)
    half = x.size(-1) // 2  # the table repeats the Dk/2 angles; GPT-J takes them once: [N, T, Dk/2]
    T = x.size(-2)
    flat = x.reshape(-1, T, 1, x.size(-1))  # GPT-J's [batch, T, heads, Dk]
    out = gptj.apply_rotary_pos_emb(flat, sin[..., :half].reshape(-1, T, half), cos[..., :half].reshape(-1, T, half))
    return out.reshape(x.shape)



# ============================================================ gqa  (modern-b)

# LlamaAttention: q_proj, k_proj, v_proj and o_proj (the contract's out_proj) with
# num_key_value_heads K/V heads, run by transformers' own SDPA attention function, which shares
# each K/V head among num_key_value_groups consecutive query heads (`repeat_kv`, `pack_gqa` or
# SDPA's enable_gqa). transformers always rotates q and k: without rope_base the table is the
# identity (cos = 1, sin = 0). LlamaAttention is causal when it gets no mask; the contract's
# module attends everywhere unless masked, so is_causal is off and masks (bool, True = may
# attend, which transformers hands to SDPA as is) are always given explicitly.

from types import SimpleNamespace  # noqa: E402

from transformers.integrations.sdpa_attention import sdpa_attention_forward  # noqa: E402


def _as_4d(mask: Tensor | None) -> Tensor | None:
    """A bool mask broadcastable to [B, H, T, S] as the 4-d tensor transformers expects."""
    if mask is None:
        return None
    return mask.reshape((1,) * (4 - mask.dim()) + tuple(mask.shape))


def grouped_query_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    module = SimpleNamespace(num_key_value_groups=q.size(1) // k.size(1), is_causal=False, training=False)
    out, _ = sdpa_attention_forward(module, q, k, v, _as_4d(mask), scaling=q.size(-1) ** -0.5)
    return out.transpose(1, 2)  # transformers returns [B, T, H, Dv]


class GroupedQueryAttention(llama.LlamaAttention):
    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, bias: bool = False,
                 rope_base: float | None = None):
        config = llama_config(d_model, n_heads, n_kv_heads, base=rope_base or 10000.0)
        config.attention_bias = bias
        super().__init__(config, layer_idx=0)
        self.is_causal = False
        self.n_heads, self.n_kv_heads, self.rope_base = n_heads, n_kv_heads, rope_base

    out_proj = property(lambda self: self.o_proj)

    def rotary_table(self, x: Tensor, positions: Tensor) -> tuple[Tensor, Tensor]:
        """cos, sin [1, T, Dk] for `positions`: LlamaRotaryEmbedding's, or the identity."""
        if self.rope_base is None:
            shape = (1, positions.numel(), self.head_dim)
            return torch.ones(shape, dtype=x.dtype, device=x.device), torch.zeros(shape, dtype=x.dtype, device=x.device)
        return _rotary(self.head_dim, float(self.rope_base), 1.0)(x, positions.to(x.device)[None])

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        positions = torch.arange(x.size(1), device=x.device)
        if mask is not None:
            mask = _as_4d(mask.unsqueeze(-3))  # [B?, T, T] -> [B, 1, T, T]: one mask for every head
        out, _ = super().forward(x, position_embeddings=self.rotary_table(x, positions), attention_mask=mask)
        return out



# ============================================================ kv_cache  (modern-b)

# transformers' DynamicCache (one DynamicLayer: the adapter's attention layers are layer 0) and,
# for sliding windows, a Cache of one DynamicSlidingWindowLayer; the contract's k, v and seq_len
# read the layer's keys, values and get_seq_length(). decode_step calls LlamaAttention.forward
# with the cache, the rotary table of the new positions and the lower-right causal mask, the
# way LlamaModel drives it during generation. Masks come from transformers' own mask functions
# (masking_utils), which index queries by their absolute position: a chunk of T new queries
# after S - T cached ones sits at positions S - T .. S - 1.
# One convention differs: transformers' rolling layer keeps `window - 1` positions between
# steps and slices with -(window - 1), which for window = 1 keeps everything; the checks use
# windows of 2 and more.

from transformers import masking_utils  # noqa: E402
from transformers.cache_utils import Cache, DynamicCache, DynamicSlidingWindowLayer  # noqa: E402


class KVCache:
    def __init__(self):
        self.hf = DynamicCache()

    def update(self, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        return self.hf.update(k_new, v_new, 0)

    def _layer(self):
        return self.hf.layers[0] if self.hf.layers and self.hf.layers[0].is_initialized else None

    k = property(lambda self: None if self._layer() is None else self._layer().keys)
    v = property(lambda self: None if self._layer() is None else self._layer().values)
    seq_len = property(lambda self: self.hf.get_seq_length(0))


class RollingKVCache(KVCache):
    def __init__(self, window: int):
        self.hf = Cache(layers=[DynamicSlidingWindowLayer(sliding_window=window)])


def causal_mask_lower_right(T: int, S: int) -> Tensor:
    queries = torch.arange(S - T, S)[:, None]  # absolute positions of the T new queries
    return masking_utils.causal_mask_function(0, 0, queries, torch.arange(S)[None, :])


def sliding_window_mask(T: int, window: int) -> Tensor:
    idx = torch.arange(T)
    return masking_utils.sliding_window_causal_mask_function(window)(0, 0, idx[:, None], idx[None, :])


def decode_step(attn: GroupedQueryAttention, x_new: Tensor, cache: KVCache) -> Tensor:
    T, past = x_new.size(1), cache.seq_len
    held = 0 if cache.k is None else cache.k.size(-2)  # what update() will return, before the new ones
    mask = None if T == 1 else _as_4d(causal_mask_lower_right(T, held + T).to(x_new.device))
    table = attn.rotary_table(x_new, torch.arange(past, past + T, device=x_new.device))
    out, _ = llama.LlamaAttention.forward(attn, x_new, position_embeddings=table, attention_mask=mask, cache=cache.hf)
    return out



# ============================================================ decoder_block  (LlamaDecoderLayer)

# LlamaDecoderLayer itself, run on the contract's submodules: norm1, norm2 (RMSNorm above), self_attn
# (GroupedQueryAttention above) and ffn (SwiGLU above) own the parameters, and each forward calls
# transformers' layer through torch.func.functional_call with those parameters under its names
# (input_layernorm, self_attn.q_proj .. o_proj, post_attention_layernorm, mlp.gate_proj ..), the
# rotary table of LlamaRotaryEmbedding for positions 0 .. T-1, and no attention mask, which
# transformers' SDPA path runs as causal attention. The layer is built on the meta device and kept
# outside the module tree, so it adds no parameters, and gradients reach the submodules.


class DecoderBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, n_kv_heads: int, d_ff: int,
                 eps: float = 1e-6, rope_base: float = 10000.0):
        super().__init__()
        self.norm1, self.norm2 = RMSNorm(d_model, eps), RMSNorm(d_model, eps)
        self.self_attn = GroupedQueryAttention(d_model, n_heads, n_kv_heads, bias=False, rope_base=rope_base)
        self.ffn = SwiGLU(d_model, d_ff)
        self.rope_base = rope_base
        config = llama_config(d_model, n_heads, n_kv_heads, d_ff, eps=eps, base=rope_base)
        with torch.device("meta"):
            self.__dict__["_hf_layer"] = llama.LlamaDecoderLayer(config, layer_idx=0)  # not a submodule

    def forward(self, x: Tensor) -> Tensor:
        layer, attn, ffn = self._hf_layer, self.self_attn, self.ffn
        params = {
            "input_layernorm.weight": self.norm1.weight, "post_attention_layernorm.weight": self.norm2.weight,
            **{f"self_attn.{p}.weight": getattr(attn, p).weight for p in ("q_proj", "k_proj", "v_proj", "o_proj")},
            **{f"mlp.{p}.weight": getattr(ffn, p).weight for p in ("gate_proj", "up_proj", "down_proj")},
        }
        layer.input_layernorm.variance_epsilon = self.norm1.eps
        layer.post_attention_layernorm.variance_epsilon = self.norm2.eps
        positions = torch.arange(x.size(1), device=x.device)
        table = _rotary(attn.head_dim, float(self.rope_base), 1.0)(x, positions[None])  # cos, sin [1, T, Dk]
        return torch.func.functional_call(layer, params, (x,), {"position_embeddings": table})
