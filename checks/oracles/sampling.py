"""Reference next-token distributions after temperature, top-k and top-p, written without
sorting (each token is compared with every other one), so they share no code path with a
sort-and-cumsum implementation. float64, last axis = vocabulary.

For top-p these rules keep every token tied with the boundary token; the checks that use them
draw distributions without such ties.
"""

import torch
from torch import Tensor


def temperature_probs(logits: Tensor, tau: float) -> Tensor:
    """softmax(logits / tau)."""
    return (logits / tau).softmax(-1)


def top_k_probs(probs: Tensor, k: int) -> Tensor:
    """Keep token i iff fewer than k tokens are strictly more probable; renormalise."""
    greater = (probs[..., None, :] > probs[..., :, None]).sum(-1)  # [..., V]: how many beat token i
    kept = probs * (greater < k)
    return kept / kept.sum(-1, keepdim=True)


def top_p_probs(probs: Tensor, p: float) -> Tensor:
    """Keep token i iff the tokens strictly more probable than it hold mass < p; renormalise."""
    above = (probs[..., None, :] * (probs[..., None, :] > probs[..., :, None])).sum(-1)  # [..., V]
    kept = probs * (above < p)
    return kept / kept.sum(-1, keepdim=True)


def filtered_probs(logits: Tensor, temperature: float = 1.0, top_k: int | None = None,
                   top_p: float | None = None) -> Tensor:
    """The distribution sampling draws from: temperature, then top-k, then top-p, renormalised."""
    probs = temperature_probs(logits, temperature)
    if top_k is not None:
        probs = top_k_probs(probs, top_k)
    if top_p is not None:
        probs = top_p_probs(probs, top_p)
    return probs
