"""Toy next-token models and exhaustive references for the decoding checks.

A "model" is a function prefix (list of token ids) -> [V] float64 log-probabilities of the next
token. `greedy` and `all_hypotheses` are the references beam search is compared with: greedy
decoding written as a plain loop, and every complete hypothesis enumerated (a tree of at most
V ** max_new_tokens leaves, so only for small V and lengths).
"""

from collections.abc import Callable

import torch

Model = Callable[[list[int]], torch.Tensor]


def random_model(V: int, seed: int, scale: float = 2.0) -> Model:
    """log_softmax(scale * N(0, 1)) for every prefix, drawn from a generator seeded with the seed
    and the prefix, so the model depends on the whole prefix and is the same on every call."""
    def next_log_probs(prefix: list[int]) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed * 1_000_003 + hash(tuple(prefix)) % 2**31)
        return (torch.randn(V, generator=g, dtype=torch.float64) * scale).log_softmax(-1)
    return next_log_probs


def table_model(table: dict[tuple[int, ...], list[float]], default: list[float]) -> Model:
    """A model given by next-token probabilities for some prefixes (the rest get `default`)."""
    def next_log_probs(prefix: list[int]) -> torch.Tensor:
        return torch.tensor(table.get(tuple(prefix), default), dtype=torch.float64).log()
    return next_log_probs


def greedy(model: Model, prompt: list[int], max_new_tokens: int, eos: int | None = None) -> tuple[list[int], float]:
    """Pick the most probable token at every step; stop at EOS. Returns (sequence, summed log-prob)."""
    seq, logp = list(prompt), 0.0
    for _ in range(max_new_tokens):
        step = model(seq)
        tok = int(step.argmax())
        seq, logp = seq + [tok], logp + step[tok].item()
        if tok == eos:
            break
    return seq, logp


def all_hypotheses(model: Model, prompt: list[int], max_new_tokens: int,
                   eos: int | None = None) -> list[tuple[list[int], float]]:
    """Every complete hypothesis (ended by EOS, or of max_new_tokens tokens) with its summed log-prob."""
    done, frontier = [], [(list(prompt), 0.0)]
    for _ in range(max_new_tokens):
        nxt = []
        for seq, logp in frontier:
            for tok, step in enumerate(model(seq).tolist()):
                (done if tok == eos else nxt).append((seq + [tok], logp + step))
        frontier = nxt
    return done + frontier


def penalised(seq: list[int], logp: float, n_prompt: int, length_penalty: float) -> float:
    """Hugging Face's beam score: summed log-prob / (generated tokens) ** length_penalty."""
    return logp / (len(seq) - n_prompt) ** length_penalty
