"""Symmetric absmax quantisation of weights (round to nearest, per tensor or per channel).

    qmax = 2^(bits − 1) − 1,   s = max|w| / qmax,   q = round(w / s) ∈ {−qmax, ..., qmax},   ŵ = q · s

Every element is off by at most s / 2 (rounding), and the largest one by nothing. The grid is
symmetric: −2^(bits − 1) is left unused so that negating w negates q and ±max|w| are both
exact. One large value (an outlier) sets s for everything that shares its scale, so a scale
per output channel (a row of an nn.Linear weight) confines an outlier row to its own row.
Codes are stored in int8 here; 4-bit kernels pack two codes per byte.
"""

import torch
from torch import Tensor


# --8<-- [start:quantize_absmax]
def quantize_absmax(w: Tensor, bits: int = 8, axis: int | None = None) -> tuple[Tensor, Tensor]:
    qmax = 2 ** (bits - 1) - 1  # 127 for int8, 7 for int4
    if axis is None:
        absmax = w.abs().amax()  # one scale, 0-dim
    else:
        others = [d for d in range(w.dim()) if d != axis % w.dim()]
        absmax = w.abs().amax(dim=others, keepdim=True) if others else w.abs()  # one per index of `axis`
    scale = absmax / qmax
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))  # an all-zero slice: codes 0
    q = torch.round(w / safe).to(torch.int8)  # round to nearest (not truncate); |w / s| <= qmax
    return q, safe
# --8<-- [end:quantize_absmax]


# --8<-- [start:dequantize]
def dequantize(q: Tensor, scale: Tensor) -> Tensor:
    return q.to(scale.dtype) * scale  # int codes -> floats, the scale broadcast over its slice
# --8<-- [end:dequantize]
