"""Hypothesis strategies shared by the checks: small float64 tensors with tame values.

Sizes stay at 1..5 so a shrunk counterexample is readable and every example runs in
well under a millisecond; values stay in [-5, 5] so float64 comparisons with PyTorch's
own modules hold to ~1e-12 without widened tolerances.
"""

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

sizes = st.integers(min_value=1, max_value=5)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def tensors(*shape: int, low: float = -5.0, high: float = 5.0) -> st.SearchStrategy[torch.Tensor]:
    """float64 tensors of `shape` with entries in [low, high]."""
    values = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return arrays(np.float64, shape, elements=values).map(torch.from_numpy)


@st.composite
def qkv(draw, batch: tuple[int, ...] | None = None):
    """(q, k, v) shaped [*batch, T, Dk], [*batch, S, Dk], [*batch, S, Dv]."""
    batch = batch if batch is not None else tuple(draw(st.lists(sizes, min_size=0, max_size=2)))
    T, S, Dk, Dv = (draw(sizes) for _ in range(4))
    return draw(tensors(*batch, T, Dk)), draw(tensors(*batch, S, Dk)), draw(tensors(*batch, S, Dv))


def randn(*shape: int, seed: int) -> torch.Tensor:
    """Standard normal float64 tensor from a seeded generator: torch's global RNG is not
    reset by Hypothesis, so checks draw the seed and build tensors from it."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@st.composite
def masks(draw, shape: tuple[int, ...]):
    """bool tensors of `shape`, True = may attend, with every row keeping at least one key."""
    m = draw(arrays(np.bool_, shape))
    m[..., 0] |= ~m.any(axis=-1)  # keep one key per row: fully masked rows are tested apart
    return torch.from_numpy(m)


@st.composite
def pads(draw, shape: tuple[int, int]):
    """`is_pad` tensors: bool [B, S], True at padding tokens, anywhere in a row (left, right
    or middle), with at least one real token per sequence (all padding = fully masked rows,
    tested apart)."""
    pad = draw(arrays(np.bool_, shape))
    pad[:, 0] &= ~pad[:, 1:].all(axis=1)  # a row that is padding everywhere keeps token 0 real
    return torch.from_numpy(pad)


@st.composite
def qkv_stress(draw, batch: tuple[int, ...] | None = None):
    """(q, k, v) as `qkv` draws them, with two changes that expose classic mistakes:
    - in about half the examples T = S >= 2, where weights returned as [S, T] (transposed) have
      the right shape and only their values can give them away;
    - q and k are multiplied by a factor of 1, 10 or 100, so |scores| reach ~1e5, far past
      exp()'s float64 overflow at ~709: a softmax that does not subtract the row maximum
      returns inf/inf = NaN there.
    Entries stay exact float64 numbers, so comparisons with PyTorch still hold to ~1e-12."""
    batch = batch if batch is not None else tuple(draw(st.lists(sizes, min_size=0, max_size=2)))
    if draw(st.booleans()):
        T = S = draw(st.integers(min_value=2, max_value=5))
    else:
        T, S = draw(sizes), draw(sizes)
    Dk, Dv = draw(sizes), draw(sizes)
    scale = draw(st.sampled_from([1.0, 10.0, 100.0]))
    return (scale * draw(tensors(*batch, T, Dk)), scale * draw(tensors(*batch, S, Dk)),
            draw(tensors(*batch, S, Dv)))
