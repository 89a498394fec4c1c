"""Beam search: keep the num_beams best partial sequences instead of the single best one.

    score(y) = Σ_t log p(y_t | prompt, y_<t) / n ** length_penalty,   n = number of generated tokens

Each step extends every running hypothesis by every token and ranks the candidates by their
summed log-probability (the log of the product of the step probabilities). EOS candidates that
rank among the num_beams best are finished; the num_beams best others keep running. After
max_new_tokens steps the running ones finish too, and the best finished score wins (Hugging
Face's generate with early_stopping="never", its exact variant). num_beams = 1 is greedy
decoding; a beam wider than the number of candidates is exhaustive search. The model is any
function prefix -> [V] log-probabilities.
"""

from collections.abc import Callable

from torch import Tensor


# --8<-- [start:beam_search]
def beam_search(next_log_probs: Callable[[list[int]], Tensor], prompt: list[int], num_beams: int,
                max_new_tokens: int, eos_token_id: int | None = None,
                length_penalty: float = 0.0) -> tuple[list[int], float]:
    n0 = len(prompt)

    def score(seq: list[int], logp: float) -> float:
        return logp / (len(seq) - n0) ** length_penalty

    running = [(list(prompt), 0.0)]  # (sequence, summed log-probability of its generated tokens)
    finished = []
    for _ in range(max_new_tokens):
        candidates = [(seq + [tok], logp + step)  # accumulate: parent's sum + this step's log-prob
                      for seq, logp in running
                      for tok, step in enumerate(next_log_probs(seq).tolist())]
        candidates.sort(key=lambda c: c[1], reverse=True)
        finished += [c for c in candidates[:num_beams] if c[0][-1] == eos_token_id]
        running = [c for c in candidates if c[0][-1] != eos_token_id][:num_beams]
    finished += running  # out of steps: the running hypotheses finish as they are
    best = max(finished, key=lambda c: score(*c))
    return best[0], score(*best)
# --8<-- [end:beam_search]
