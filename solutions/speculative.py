"""Speculative decoding: a cheap draft model q proposes, the target model p disposes.

    accept a drafted x ~ q with probability  a(x) = min(1, p(x) / q(x))
    on rejection, resample from              r = max(0, p − q) / Σ max(0, p − q)

One step then outputs x with probability  q(x) a(x) + (1 − α) r(x) = min(p, q)(x) + max(0, p − q)(x)
= p(x), where α = Σ_x min(p(x), q(x)) is the acceptance rate: the output follows the target
exactly. With γ drafts accepted independently at rate α, one target pass yields
(1 − α^(γ+1)) / (1 − α) tokens on average (the accepted prefix plus one token).
Shapes: V vocabulary, γ drafted tokens.
"""

import torch
from torch import Tensor


# --8<-- [start:acceptance_probability]
def acceptance_probability(p: Tensor, q: Tensor) -> Tensor:
    ratio = p / q  # inf where q = 0 (never drafted): min gives 1
    return torch.where(q > 0, ratio.clamp(max=1.0), 1.0)
# --8<-- [end:acceptance_probability]


# --8<-- [start:residual_distribution]
def residual_distribution(p: Tensor, q: Tensor) -> Tensor:
    excess = (p - q).clamp(min=0)  # where the target wants more than the draft offers
    total = excess.sum(-1, keepdim=True)
    return torch.where(total > 0, excess / total, p)  # p = q: never rejected, never used
# --8<-- [end:residual_distribution]


# --8<-- [start:speculative_sample]
def speculative_sample(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                       generator: torch.Generator | None = None) -> Tensor:
    gamma = draft_tokens.numel()
    pos = torch.arange(gamma)
    accept = acceptance_probability(target_probs[pos, draft_tokens], draft_probs[pos, draft_tokens])  # [γ]
    u = torch.rand(gamma, generator=generator, dtype=accept.dtype)  # one uniform per draft
    rejected = (u > accept).nonzero()
    if len(rejected) == 0:  # all γ accepted: one more token from the target, for free
        return torch.cat([draft_tokens, torch.multinomial(target_probs[gamma], 1, generator=generator)])
    n = int(rejected[0])  # the first rejection: keep the drafts before it, resample position n
    r = residual_distribution(target_probs[n], draft_probs[n])
    return torch.cat([draft_tokens[:n], torch.multinomial(r, 1, generator=generator)])
# --8<-- [end:speculative_sample]
