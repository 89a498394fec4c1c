"""Multi-head latent attention (MLA, DeepSeek-V2, 2024).

Keys and values are not projected from x directly: x goes down to one latent c = W_DKV x of
width d_c per token, shared by every head, and each head's key and value come back up from it:

    k_h = W_UK,h c,   v_h = W_UV,h c,   score_h(t, s) = q_h(t) · k_h(s) = (W_UK,hᵀ q_h(t)) · c(s)

So a decoder need only cache c (d_c numbers per token instead of 2·H·Dk), and at decode time
W_UK can be folded into the query and W_UV applied after the weighted sum of latents
("absorbed"): the cached latents are never up-projected. That folding needs the score to be
position-free; RoPE on k_h would put a rotation R_s between W_UK and c that depends on the key's
position. DeepSeek's fix, decoupled RoPE: each head gets d_rope extra query features, and one
d_rope-wide rotated key per token (shared by all heads, cached beside c) carries the position:

    score_h(t, s) = [q_h(t) · k_h(s) + q^R_h(t) · k^R(s)] / √(Dk + d_rope)

Left out here: DeepSeek's query compression and the RMSNorm on the latents. No biases (a bias
on k_up would not fold into the query). Shapes: B, T, S, D, H, Dk = D / H, d_c = d_latent.
"""

import math

import torch
from torch import Tensor, nn

from solutions.kv_cache import causal_mask_lower_right
from solutions.multi_head import merge_heads, split_heads
from solutions.rope import apply_rope


# --8<-- [start:MultiHeadLatentAttention]
class MultiHeadLatentAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, d_latent: int, d_rope: int = 0, rope_base: float = 10000.0):
        super().__init__()
        Dk = d_model // n_heads
        self.n_heads, self.d_latent, self.d_rope, self.rope_base = n_heads, d_latent, d_rope, rope_base
        self.q_proj = nn.Linear(d_model, n_heads * Dk, bias=False)
        self.kv_down = nn.Linear(d_model, d_latent, bias=False)  # W_DKV: the only thing cached
        self.k_up = nn.Linear(d_latent, n_heads * Dk, bias=False)  # W_UK
        self.v_up = nn.Linear(d_latent, n_heads * Dk, bias=False)  # W_UV
        self.out_proj = nn.Linear(n_heads * Dk, d_model, bias=False)
        if d_rope:
            self.q_rope = nn.Linear(d_model, n_heads * d_rope, bias=False)  # per head
            self.k_rope = nn.Linear(d_model, d_rope, bias=False)  # one key per token, all heads

    def rope_parts(self, x: Tensor, positions: Tensor) -> tuple[Tensor, Tensor]:
        """Rotated q^R [B, H, T, d_rope] and k^R [B, T, d_rope] (width 0 without decoupled RoPE)."""
        if not self.d_rope:
            B, T, _ = x.shape
            return x.new_zeros(B, self.n_heads, T, 0), x.new_zeros(B, T, 0)
        q_r = apply_rope(split_heads(self.q_rope(x), self.n_heads), positions, self.rope_base)
        return q_r, apply_rope(self.k_rope(x), positions, self.rope_base)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """Explicit: up-project every head's keys and values, then ordinary attention."""
        c = self.kv_down(x)  # [B, T, d_c]
        q_r, k_r = self.rope_parts(x, torch.arange(x.size(1), device=x.device))
        q = torch.cat([split_heads(self.q_proj(x), self.n_heads), q_r], dim=-1)  # [B, H, T, Dk + d_rope]
        k_r = k_r[:, None].expand(-1, self.n_heads, -1, -1)  # the shared rope key, for every head
        k = torch.cat([split_heads(self.k_up(c), self.n_heads), k_r], dim=-1)
        v = split_heads(self.v_up(c), self.n_heads)  # [B, H, T, Dk]
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            scores = scores.masked_fill(~mask.unsqueeze(-3), float("-inf"))  # [B, T, T] -> every head
        return self.out_proj(merge_heads(torch.nan_to_num(scores.softmax(dim=-1)) @ v))
# --8<-- [end:MultiHeadLatentAttention]


# --8<-- [start:LatentKVCache]
class LatentKVCache:
    def __init__(self):
        self.c = self.k_rope = None  # [B, S, d_latent], [B, S, d_rope]
        self.seq_len = 0

    def update(self, c_new: Tensor, k_rope_new: Tensor) -> tuple[Tensor, Tensor]:
        self.c = c_new if self.c is None else torch.cat([self.c, c_new], dim=-2)
        self.k_rope = k_rope_new if self.k_rope is None else torch.cat([self.k_rope, k_rope_new], dim=-2)
        self.seq_len += c_new.size(-2)
        return self.c, self.k_rope
# --8<-- [end:LatentKVCache]


# --8<-- [start:mla_decode_step]
def mla_decode_step(attn: MultiHeadLatentAttention, x_new: Tensor, cache: LatentKVCache) -> Tensor:
    B, T, _ = x_new.shape
    H, d_c = attn.n_heads, attn.d_latent
    positions = torch.arange(cache.seq_len, cache.seq_len + T, device=x_new.device)
    q_r, k_r = attn.rope_parts(x_new, positions)
    c, k_r = cache.update(attn.kv_down(x_new), k_r)  # [B, S, d_c], [B, S, d_rope]
    W_UK = attn.k_up.weight.view(H, -1, d_c)  # [H, Dk, d_c]: head h's rows
    W_UV = attn.v_up.weight.view(H, -1, d_c)
    q = split_heads(attn.q_proj(x_new), H)  # [B, H, T, Dk]
    q_latent = q @ W_UK  # [B, H, T, d_c]: W_UK folded into the query
    scores = q_latent @ c[:, None].transpose(-2, -1) + q_r @ k_r[:, None].transpose(-2, -1)  # [B, H, T, S]
    scores = scores / math.sqrt(q.size(-1) + attn.d_rope)
    scores = scores.masked_fill(~causal_mask_lower_right(T, c.size(-2)).to(x_new.device), float("-inf"))
    context = scores.softmax(dim=-1) @ c[:, None]  # [B, H, T, d_c]: a weighted sum of latents
    return attn.out_proj(merge_heads(context @ W_UV.transpose(-2, -1)))  # W_UV after the sum
# --8<-- [end:mla_decode_step]
