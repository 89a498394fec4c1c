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
    return llama.apply_rotary_pos_emb(x, x, cos, sin, unsqueeze_dim=0)[0]


def apply_rope_interleaved(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    cos, sin = _cos_sin(x, positions, base, scale)
    half = x.size(-1) // 2  # the table repeats the Dk/2 angles; GPT-J takes them once: [N, T, Dk/2]
    T = x.size(-2)
    flat = x.reshape(-1, T, 1, x.size(-1))  # GPT-J's [batch, T, heads, Dk]
    out = gptj.apply_rotary_pos_emb(flat, sin[..., :half].reshape(-1, T, half), cos[..., :half].reshape(-1, T, half))
    return out.reshape(x.shape)



# ============================================================ gqa  (modern-b)


# ============================================================ kv_cache  (modern-b)


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
