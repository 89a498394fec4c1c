"""How the checks reach an implementation's attention modules and layers whatever their
declared capabilities (the conventions of qbank/contract/__init__.py, "Declared capabilities").

A module may declare, as class attributes:

- `qkv_proj = nn.Linear(D, 3·D)` instead of `q_proj`, `k_proj`, `v_proj`: one fused projection
  whose output rows are [W_Q; W_K; W_V] (nn.MultiheadAttention's `in_proj_weight` layout; for
  grouped-query attention the blocks are H·Dk, Hkv·Dk, Hkv·Dk rows wide);
- `mask_format`: "bool" (default; True = may attend), "blocked" (True = may NOT attend, as
  `is_pad` or nn.MultiheadAttention's attn_mask), "int" (1 = may attend, 0 = blocked),
  "additive" (float, 0 where allowed and -inf where blocked, added to the scores), or None
  (forward takes no mask);
- `mask_head_axis = True`: the mask is [B, 1, T, S] (broadcast over the heads), not [B, T, S];
- `causal_only = True`: self-attention that always applies the causal mask: forward(x) or
  forward(x, mask) with x [B, T, D], the mask (if any) an extra restriction such as padding;
- `norm_placements = ("pre",)` or `("post",)` on a layer that implements one LayerNorm
  placement (default both, chosen by the `norm_first` constructor argument).

Checks never read `.q_proj` & co. directly: `projections(m)` gives the three maps in either
layout (their `weight` and `bias` are views: writing them writes the module), `attend` calls a
module with the check's boolean mask converted to the declared format, `self_regime` turns a
check's inputs into ones a causal-only module can be graded on (self-attention under the
causal mask), and `require` skips a check, naming the declaration, when it truly needs a
capability the module declares it lacks. A declaration never excuses a wrong result: a module
that declares `causal_only` is still compared with PyTorch under the causal mask.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest
import torch
import torch.nn.functional as F
from torch import nn

MASK_FORMATS = ("bool", "blocked", "int", "additive", None)
PLACEMENTS = ("pre", "post")


class CapabilityError(ValueError):
    """A declared capability with a value the contract does not know."""


@dataclass(frozen=True)
class Capabilities:
    fused: bool = False
    mask_format: str | None = "bool"
    mask_head_axis: bool = False
    causal_only: bool = False
    norm_placements: tuple[str, ...] = PLACEMENTS


def _bool(owner, attr: str) -> bool:
    value = getattr(owner, attr, False)
    if not isinstance(value, bool):
        raise CapabilityError(f"{_name(owner)}.{attr} = {value!r}: expected True or False")
    return value


def _name(owner) -> str:
    return owner.__name__ if isinstance(owner, type) else type(owner).__name__


def declared(owner) -> Capabilities:
    """The capabilities a module (or its class) declares, validated: an unknown value is a
    CapabilityError naming the attribute, the value and the allowed ones."""
    fmt = getattr(owner, "mask_format", "bool")
    if fmt not in MASK_FORMATS:
        raise CapabilityError(f"{_name(owner)}.mask_format = {fmt!r}: expected one of {MASK_FORMATS}")
    placements = getattr(owner, "norm_placements", PLACEMENTS)
    if (isinstance(placements, str) or not isinstance(placements, (tuple, list)) or not placements
            or any(p not in PLACEMENTS for p in placements)):
        raise CapabilityError(f"{_name(owner)}.norm_placements = {placements!r}: expected a non-empty "
                              f"tuple of {PLACEMENTS}, e.g. ('pre',)")
    fused = not isinstance(owner, type) and hasattr(owner, "qkv_proj")
    if fused and any(hasattr(owner, n) for n in ("q_proj", "k_proj", "v_proj")):
        raise CapabilityError(f"{_name(owner)} has both qkv_proj and separate q_proj/k_proj/v_proj: keep one layout")
    return Capabilities(fused, fmt, _bool(owner, "mask_head_axis"), _bool(owner, "causal_only"),
                        tuple(placements))


# -- skips, each naming the declaration ---------------------------------------------------------

NEEDS = {
    "full attention": ("causal_only", "this check needs a query to attend to later keys (no causal mask)"),
    "cross inputs": ("causal_only", "this check needs separate query, key and value inputs"),
    "a mask": ("mask_format", "this check passes a mask"),
    "post-norm": ("norm_placements", "this check needs the post-norm placement"),
    "pre-norm": ("norm_placements", "this check needs the pre-norm placement"),
}


def lacks(owner, need: str) -> bool:
    c = declared(owner)
    return {"full attention": c.causal_only, "cross inputs": c.causal_only,
            "a mask": c.mask_format is None and not c.causal_only,
            "post-norm": "post" not in c.norm_placements,
            "pre-norm": "pre" not in c.norm_placements}[need]


def require(owner, *needs: str) -> None:
    """pytest.skip, naming the declaration, if `owner` declares it lacks any of `needs`
    (keys of NEEDS)."""
    for need in needs:
        if lacks(owner, need):
            attr, why = NEEDS[need]
            pytest.skip(f"{_name(owner)} declares {attr} = {getattr(owner, attr)!r}: {why}")


# -- the Q, K, V projections in either layout ------------------------------------------------------

class Projection:
    """One of W_Q, W_K, W_V as a block of rows of a fused qkv_proj: `weight` and `bias` are
    views (in-place writes reach the module), calling it applies the map."""

    def __init__(self, fused: nn.Module, rows: slice):
        self._fused, self._rows = fused, rows

    @property
    def weight(self) -> torch.Tensor:
        return self._fused.weight[self._rows]

    @property
    def bias(self) -> torch.Tensor | None:
        b = self._fused.bias
        return None if b is None else b[self._rows]

    def parameters(self):
        return [p for p in (self.weight, self.bias) if p is not None]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


def projections(m: nn.Module) -> tuple:
    """(W_Q, W_K, W_V) of an attention module: its q_proj, k_proj, v_proj, or the three row
    blocks of its fused qkv_proj (widths H·Dk, Hkv·Dk, Hkv·Dk with grouped-query heads)."""
    if not declared(m).fused:
        return m.q_proj, m.k_proj, m.v_proj
    out = m.qkv_proj.weight.size(0)
    H, Hkv = getattr(m, "n_heads", 1), getattr(m, "n_kv_heads", getattr(m, "n_heads", 1))
    q = out * H // (H + 2 * Hkv)
    kv = (out - q) // 2
    return Projection(m.qkv_proj, slice(0, q)), Projection(m.qkv_proj, slice(q, q + kv)), \
        Projection(m.qkv_proj, slice(q + kv, out))


def linears(m: nn.Module) -> tuple:
    """Every weight-bearing map of an attention module: W_Q, W_K, W_V and out_proj."""
    return (*projections(m), m.out_proj)


# -- masks and calls -----------------------------------------------------------------------------

def causal(T: int) -> torch.Tensor:
    return torch.ones(T, T, dtype=torch.bool).tril()


def both(a: torch.Tensor | None, b: torch.Tensor | None) -> torch.Tensor | None:
    """a & b, where None means no mask."""
    return b if a is None else a if b is None else a & b


def module_mask(owner, mask: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The check's mask (bool, True = may attend, broadcastable to [B, T, S]) in `owner`'s
    declared format and shape."""
    c = declared(owner)
    if c.mask_head_axis:
        mask = mask.reshape((1,) * (3 - mask.dim()) + tuple(mask.shape)).unsqueeze(1)  # [B, 1, T, S]
    if c.mask_format == "blocked":
        return ~mask
    if c.mask_format == "int":
        return mask.long()
    if c.mask_format == "additive":
        return torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, float("-inf"))
    return mask


def self_regime(m, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor):
    """(query, key, value, base mask) a check can run `m` on: unchanged with no base mask, or,
    for a causal-only module, self-attention on `query` under the causal mask (which the
    check's oracle must apply too)."""
    if declared(m).causal_only:
        return query, query, query, causal(query.size(-2))
    return query, key, value, None


def attend(m, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
           mask: torch.Tensor | None = None) -> torch.Tensor:
    """m(query, key, value, mask) as the module declares it is called; `mask` is the check's
    (bool, True = may attend, broadcastable to [B, T, S]). A causal-only module is called as
    m(x) or m(x, extra): the check's mask must block every later key (else the check is skipped:
    it needs what the module declares it lacks), and `extra` is that mask with every later key
    allowed again, so a module that declares causal_only but does not apply the causal mask
    itself lets the future in and fails."""
    c = declared(m)
    if not c.causal_only:
        if mask is None:
            return m(query, key, value)
        require(m, "a mask")
        return m(query, key, value, module_mask(m, mask, query.dtype))
    if not (query is key and key is value):
        require(m, "cross inputs")
    return _causal_only_call(m, query, mask)


def _causal_only_call(m, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """m(x) or m(x, extra) for a module that declares causal_only (see `attend`)."""
    future = ~causal(x.size(-2))
    if mask is None or (mask & future).any():
        require(m, "full attention")
    # the module must bring the causal mask itself: it gets only the rest of the check's mask,
    # with every later key allowed (nothing at all when the check's mask is just the causal one)
    extra = mask | future
    if extra.all():
        return m(x)
    if declared(m).mask_format is None:
        pytest.skip(f"{_name(m)} declares mask_format = None: this check needs a mask besides the causal one")
    return m(x, module_mask(m, extra, x.dtype))


def layer_call(layer, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """layer(x, mask) with the check's bool mask in the layer's declared format; for a layer
    that declares causal_only, called as `attend` calls such a module (the check's mask must
    block every later key)."""
    if declared(layer).causal_only:
        return _causal_only_call(layer, x, mask)
    if mask is None:
        return layer(x)
    require(layer, "a mask")
    return layer(x, module_mask(layer, mask, x.dtype))


def under_regime(m, mask: torch.Tensor) -> torch.Tensor:
    """A check's drawn self-attention mask [..., T, T] as `m` can be graded on it: unchanged, or,
    for a causal-only module, restricted to the causal mask with each query keeping its own
    position (so no row is left empty). The check's oracle must use the mask returned."""
    if not declared(m).causal_only:
        return mask
    T = mask.size(-1)
    return (mask & causal(T)) | torch.eye(T, dtype=torch.bool)


# -- layers with one norm placement ----------------------------------------------------------------

def make_layer(cls, *args, norm_first: bool, **kwargs) -> nn.Module:
    """cls(*args, norm_first=norm_first): skipped if the class declares it lacks that placement;
    a class that declares one placement may leave `norm_first` out of its signature."""
    require(cls, "pre-norm" if norm_first else "post-norm")
    if "norm_first" in inspect.signature(cls).parameters:
        kwargs["norm_first"] = norm_first
    return cls(*args, **kwargs)


def placements(cls) -> list[bool]:
    """The norm_first values `cls` implements (both by default), for checks that hold in either."""
    return [p == "pre" for p in sorted(declared(cls).norm_placements)]  # post first


def placement(cls, wanted: bool) -> bool:
    """`wanted` (a norm_first value a check drew) if `cls` implements it, else its one placement:
    a claim that holds in either placement is checked in the one the layer has."""
    return wanted if wanted in placements(cls) else not wanted


def norm_first(layer) -> bool:
    """Where `layer` puts its LayerNorms: its `norm_first`, or its single declared placement."""
    c = declared(layer)
    if len(c.norm_placements) == 1:
        return c.norm_placements[0] == "pre"
    return layer.norm_first
