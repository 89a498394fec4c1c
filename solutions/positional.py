"""Sinusoidal positional encoding (Vaswani et al. 2017, section 3.5).

    PE[t, 2i]     = sin(t · w_i)
    PE[t, 2i + 1] = cos(t · w_i),     w_i = 10000^(-2i/D),  i = 0 .. D/2 - 1

Shapes: T positions 0 .. T-1, D = d_model (even). The table is [T, D] and is added to
the token embeddings [B, T, D], broadcasting over the batch.

i is the index of a (sin, cos) PAIR, not of a dimension: dimensions 2i and 2i+1 share
the angular frequency w_i. Pair 0 turns fastest (w_0 = 1, wavelength 2π), the last pair
slowest (wavelength just under 10000 · 2π). Because each pair is (sin, cos) of the same
angle, moving k positions rotates every pair by the angle k · w_i:
PE[t + k] = R_k PE[t] with R_k orthogonal and independent of t.

The angles are computed in float64 and cast at the end: in float32, t · w_i at
t ≈ 10^6 is off by up to 0.04 radians, which would make far positions noisy.
"""

import torch
from torch import Tensor


# --8<-- [start:sinusoidal_positions]
def sinusoidal_positions(T: int, D: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """[T, D]: row t is the encoding of position t; every value is in [-1, 1] and every
    row has norm √(D/2), since each (sin, cos) pair has norm 1."""
    if D % 2:
        raise ValueError(f"D={D} must be even: the dimensions come in (sin, cos) pairs")
    t = torch.arange(T)[:, None]  # [T, 1], int64: exact
    w = 10000.0 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)  # [D/2]: w_i = 10000^(-2i/D)
    angles = t * w  # [T, D/2], float64 (int64 times float64)
    pe = torch.empty(T, D, dtype=torch.float64)
    pe[:, 0::2] = angles.sin()  # even dimensions 2i
    pe[:, 1::2] = angles.cos()  # odd dimensions 2i + 1: the same angle, a quarter turn on
    return pe.to(dtype)
# --8<-- [end:sinusoidal_positions]
