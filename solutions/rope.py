"""Rotary position embedding (RoPE, Su et al. 2021).

Split the Dk features of a query or key into Dk/2 pairs and turn pair i of the vector at
position m by the angle m·θ_i, θ_i = base^(−2i/Dk). A rotation by mθ followed by the
transpose of one by nθ is a rotation by (n − m)θ, so

    ⟨R_m q, R_n k⟩ = qᵀ R_{n−m} k      (the score sees only the offset n − m)

Two layouts choose the pairs: interleaved (2i, 2i+1) in the paper, GPT-J and Meta's LLaMA
code; halves (i, i + Dk/2) in Hugging Face's LLaMA (`rotate_half`). They differ by a fixed
permutation of the feature axis (`interleaved_to_halves`), which HF's checkpoint converter
applies to the rows of W_Q and W_K.

Position interpolation (Chen et al. 2023) multiplies the positions by scale = L / L' to fit
L' positions into the trained range [0, L). Shapes: x [..., T, Dk], positions [T].
"""

import torch
from torch import Tensor


# --8<-- [start:rope_frequencies]
def rope_frequencies(Dk: int, base: float = 10000.0) -> Tensor:
    """[Dk/2]: θ_i = base^(−2i/Dk), from 1 rad per position (i = 0) down to ~1/base."""
    if Dk % 2:
        raise ValueError(f"RoPE rotates pairs of features: Dk={Dk} must be even")
    return base ** (-torch.arange(0, Dk, 2, dtype=torch.float64) / Dk)
# --8<-- [end:rope_frequencies]


def _cos_sin(x: Tensor, positions: Tensor, base: float, scale: float) -> tuple[Tensor, Tensor]:
    """cos and sin of the angles m·scale·θ_i, [..., T, Dk/2], in float64 then x's dtype."""
    theta = rope_frequencies(x.size(-1), base).to(x.device)
    angles = (positions.to(x.device, torch.float64) * scale)[..., None] * theta  # [..., T, Dk/2]
    return angles.cos().to(x.dtype), angles.sin().to(x.dtype)


# --8<-- [start:apply_rope]
def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    """Halves layout: pair i is (x[..., i], x[..., i + Dk/2])."""
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x.chunk(2, dim=-1)  # first and second half of the features
    return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
# --8<-- [end:apply_rope]


# --8<-- [start:apply_rope_interleaved]
def apply_rope_interleaved(x: Tensor, positions: Tensor, base: float = 10000.0, scale: float = 1.0) -> Tensor:
    """Interleaved layout: pair i is (x[..., 2i], x[..., 2i + 1])."""
    cos, sin = _cos_sin(x, positions, base, scale)
    a, b = x[..., 0::2], x[..., 1::2]  # even and odd features
    return torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1).flatten(-2)  # re-interleave
# --8<-- [end:apply_rope_interleaved]


# --8<-- [start:interleaved_to_halves]
def interleaved_to_halves(x: Tensor) -> Tensor:
    """Features (0, 1, 2, 3, ..., Dk-1) -> (0, 2, 4, ..., 1, 3, 5, ...): pair (2i, 2i+1) -> (i, i + Dk/2)."""
    return torch.cat([x[..., 0::2], x[..., 1::2]], dim=-1)
# --8<-- [end:interleaved_to_halves]
