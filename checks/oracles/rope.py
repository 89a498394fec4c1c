"""RoPE written as what it is: a block-diagonal rotation matrix, built entry by entry with
`math.cos` / `math.sin` from the RoFormer definition (Su et al. 2021), for either layout.

- `rotation(m, Dk, base, layout)`: the [Dk, Dk] matrix R_m with R_m x = RoPE(x, m);
- `rotate(x, positions, base, layout)`: x [..., T, Dk] with row t multiplied by R_{positions[t]};
- `halves_index(Dk)`: the permutation that takes the interleaved layout to the halves one.

Checks compare the implementation's apply_rope / apply_rope_interleaved / interleaved_to_halves
against these (questions/positional-encoding/rotary-position-embedding.yaml).
"""

import math

import torch


def pair(i: int, Dk: int, layout: str) -> tuple[int, int]:
    """The two features that pair i rotates: (2i, 2i+1) interleaved, (i, i + Dk/2) halves."""
    if layout == "interleaved":
        return 2 * i, 2 * i + 1
    if layout == "halves":
        return i, i + Dk // 2
    raise ValueError(layout)


def rotation(m: float, Dk: int, base: float = 10000.0, layout: str = "halves") -> torch.Tensor:
    """R_m: pair i turned by the angle m * base^(-2i/Dk), counter-clockwise from its first feature."""
    R = torch.zeros(Dk, Dk, dtype=torch.float64)
    for i in range(Dk // 2):
        a, b = pair(i, Dk, layout)
        phi = m * base ** (-2 * i / Dk)
        R[a, a], R[a, b] = math.cos(phi), -math.sin(phi)
        R[b, a], R[b, b] = math.sin(phi), math.cos(phi)
    return R


def rotate(x: torch.Tensor, positions: list[float], base: float = 10000.0, layout: str = "halves") -> torch.Tensor:
    """x [..., T, Dk]: row t multiplied by R_{positions[t]}."""
    rows = [x[..., t, :] @ rotation(m, x.size(-1), base, layout).T for t, m in enumerate(positions)]
    return torch.stack(rows, dim=-2)


def halves_index(Dk: int) -> torch.Tensor:
    """index with out = x[..., index]: out[i] = x[2i], out[Dk/2 + i] = x[2i + 1]."""
    return torch.tensor([2 * i for i in range(Dk // 2)] + [2 * i + 1 for i in range(Dk // 2)])
