"""The contract of the `beam_search` component: beam search over a toy next-token model."""

from dataclasses import replace

from qbank.contract.model import component

COMPONENT = replace(component(
    "beam_search", "Beam search",
    "Keep the num_beams most probable partial sequences at every step; score finished ones by their "
    "summed log-probability, divided by length ** length_penalty. V is the vocabulary size.",
    ("beam_search", "function", '''
def beam_search(next_log_probs: Callable[[list[int]], Tensor], prompt: list[int], num_beams: int,
                max_new_tokens: int, eos_token_id: int | None = None,
                length_penalty: float = 0.0) -> tuple[list[int], float]:
    """Beam search, as Hugging Face's generate(num_beams=..., early_stopping="never").

    next_log_probs(prefix) -> [V] log-probabilities of the next token after `prefix` (a toy model).
    Start from one running hypothesis, `prompt`, with log-probability 0. At each of at most
    max_new_tokens steps:
      - extend every running hypothesis by every token; a candidate's log-probability is its
        parent's plus log p(token | parent): the SUM over all its generated tokens;
      - rank all candidates by that sum; a candidate ending in eos_token_id is finished if it
        ranks among the num_beams best candidates (else it is dropped);
      - the num_beams best candidates that do not end in EOS keep running.
    After the last step the running hypotheses are finished too. The result is the finished
    hypothesis with the best score  sum_logprob / n ** length_penalty,  n = number of tokens
    generated (EOS included, prompt not). length_penalty 0 ranks by probability; > 0 favours
    longer outputs, < 0 shorter ones (Hugging Face's default is 1.0; pass it explicitly).
    returns (sequence, score): the prompt followed by the generated tokens, and its score.
    """
    raise NotImplementedError
'''),
), imports="from collections.abc import Callable\n\nimport torch\nfrom torch import Tensor, nn\n")
