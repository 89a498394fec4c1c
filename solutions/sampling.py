"""Choosing the next token from the last position's logits z [..., V].

    temperature:  z / τ            softmax(z / τ) -> one-hot argmax as τ -> 0, uniform as τ -> ∞
    top-k:        keep z_i >= (k-th largest z), the rest -> -inf
    top-p:        sort p = softmax(z) decreasing; keep token i iff the mass ranked before it is < p
    sampling:     draw from softmax of the filtered logits (kept tokens, renormalised)

The filters return logits with -inf at the dropped tokens, so the softmax renormalises over
the kept ones by itself. They compose in Hugging Face's order: temperature, top-k, top-p.
Greedy decoding is temperature 0: the argmax, deterministic.
"""

import torch
from torch import Tensor


# --8<-- [start:apply_temperature]
def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    return logits / temperature  # same order, so the same argmax; τ < 1 sharpens, τ > 1 flattens
# --8<-- [end:apply_temperature]


# --8<-- [start:top_k_filter]
def top_k_filter(logits: Tensor, k: int) -> Tensor:
    kth = logits.topk(min(k, logits.size(-1)), dim=-1).values[..., -1:]  # [..., 1] the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))  # ties with the k-th largest all stay
# --8<-- [end:top_k_filter]


# --8<-- [start:top_p_filter]
def top_p_filter(logits: Tensor, p: float) -> Tensor:
    sorted_probs, order = logits.softmax(-1).sort(-1, descending=True)  # [..., V]
    before = sorted_probs.cumsum(-1) - sorted_probs  # mass of the tokens ranked above each one
    drop_sorted = before >= p  # the tokens above already reach p: the crossing token stays
    drop_sorted[..., 0] = False  # the most probable token always stays
    drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
    return logits.masked_fill(drop, float("-inf"))
# --8<-- [end:top_p_filter]


# --8<-- [start:sample_next_token]
def sample_next_token(logits: Tensor, generator: torch.Generator | None = None, temperature: float = 1.0,
                      top_k: int | None = None, top_p: float | None = None) -> Tensor:
    if temperature == 0:
        return logits.argmax(-1)  # greedy: the τ -> 0 limit, no randomness
    logits = apply_temperature(logits, temperature)
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(-1).reshape(-1, logits.size(-1))  # [rows, V], renormalised over the kept
    return torch.multinomial(probs, 1, generator=generator).reshape(logits.shape[:-1])
# --8<-- [end:sample_next_token]
