"""The contract of the `speculative` component: speculative decoding's accept/reject rule."""

from qbank.contract.model import component

COMPONENT = component(
    "speculative", "Speculative decoding",
    "A draft model proposes γ tokens; the target accepts each with probability min(1, p/q) and "
    "resamples the first rejected one from norm(max(0, p − q)), so the output follows p exactly. "
    "V is the vocabulary size, γ (gamma) the number of drafted tokens.",
    ("acceptance_probability", "function", '''
def acceptance_probability(p: Tensor, q: Tensor) -> Tensor:
    """min(1, p(x) / q(x)) for every token x: the probability that a token x drafted from q is
    accepted when the target's distribution is p. 1 where q(x) = 0 (x is never drafted).

    p, q: [..., V] probabilities (target, draft) -> [..., V]
    """
    raise NotImplementedError
'''),
    ("residual_distribution", "function", '''
def residual_distribution(p: Tensor, q: Tensor) -> Tensor:
    """max(0, p − q) normalised to sum to 1: what a rejected position is resampled from.

    p, q: [..., V] -> [..., V], a probability distribution. (When p = q no draft is ever rejected
    and it is never used.)
    """
    raise NotImplementedError
'''),
    ("speculative_sample", "function", '''
def speculative_sample(draft_tokens: Tensor, draft_probs: Tensor, target_probs: Tensor,
                       generator: torch.Generator | None = None) -> Tensor:
    """B independent rounds of speculative sampling (Leviathan et al. 2023, algorithm 1).

    draft_tokens: int64 [B, γ], drawn by the draft model: draft_tokens[b, i] ~ draft_probs[b, i]
    draft_probs:  [B, γ, V]   q_i, the draft's distribution at drafted position i
    target_probs: [B, γ + 1, V]   p_i, the target's distributions at the same positions, plus
                  the one after the last draft (one forward pass of the target over all of them)
    In each row, for i = 0 .. γ-1: draw u ~ U(0, 1) and accept draft_tokens[b, i] iff
    u <= p_i(x_i) / q_i(x_i); at the first rejection, draw one token from
    residual_distribution(p_i, q_i) and stop. If all γ are accepted, draw a bonus token from
    p_γ. Every random draw comes from `generator`.
    returns int64 [B, γ + 1]: row b holds its n_b accepted drafts, then the drawn token, then
    -1 in the γ - n_b places left over.
    """
    raise NotImplementedError
'''),
)
