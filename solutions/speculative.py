"""Speculative decoding: a cheap draft model q proposes, the target model p disposes.

    accept a drafted x ~ q with probability  a(x) = min(1, p(x) / q(x))
    on rejection, resample from              r = max(0, p − q) / Σ max(0, p − q)

One step then outputs x with probability  q(x) a(x) + (1 − α) r(x) = min(p, q)(x) + max(0, p − q)(x)
= p(x), where α = Σ_x min(p(x), q(x)) is the acceptance rate: the output follows the target
exactly. With γ drafts accepted independently at rate α, one target pass yields
(1 − α^(γ+1)) / (1 − α) tokens on average (the accepted prefix plus one token).
Shapes: B independent rounds, V vocabulary, γ drafted tokens per round.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


# --8<-- [start:acceptance_probability]
def acceptance_probability(p: Tensor, q: Tensor) -> Tensor:
    ratio = p / q  # inf where q = 0 (never drafted): min gives 1
    return torch.where(q > 0, ratio.clamp(max=1.0), 1.0)
# --8<-- [end:acceptance_probability]


# --8<-- [start:residual_distribution]
def residual_distribution(p: Tensor, q: Tensor) -> Tensor:
    excess = (p - q).clamp(min=0)  # where the target wants more than the draft offers
    return excess / excess.sum(-1, keepdim=True)  # 0/0 only when p = q: then nothing is ever rejected
# --8<-- [end:residual_distribution]


# --8<-- [start:speculative_sample]
def speculative_sample(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                       generator: torch.Generator | None = None) -> Tensor:
    B, gamma = draft_tokens.shape
    p, q, x = target_probs[:, :gamma], draft_probs, draft_tokens[..., None]  # [B, γ, V], [B, γ, V], [B, γ, 1]
    accept = acceptance_probability(p.gather(-1, x), q.gather(-1, x))[..., 0]  # [B, γ]
    u = torch.rand(B, gamma, generator=generator)  # [B, γ] uniform draws, one per draft
    n = (u <= accept).long().cumprod(-1).sum(-1)  # [B] drafts accepted before the first rejection
    # the token after them: from the residual at the first rejection, or the bonus from p_γ if none
    fallback = torch.cat([residual_distribution(p, q), target_probs[:, gamma:]], dim=1)  # [B, γ + 1, V]
    rows = torch.arange(B)
    out = F.pad(draft_tokens, (0, 1))  # [B, γ + 1]
    out[rows, n] = torch.multinomial(fallback[rows, n], 1, generator=generator)[:, 0]
    return out.masked_fill(torch.arange(gamma + 1) > n[:, None], -1)  # nothing after the drawn token
# --8<-- [end:speculative_sample]
