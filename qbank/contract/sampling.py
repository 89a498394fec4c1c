"""The contract of the `sampling` component: choosing the next token from the logits."""

from qbank.contract.model import component

COMPONENT = component(
    "sampling", "Sampling the next token: temperature, top-k, top-p, greedy",
    "Rescale the logits by a temperature, keep the top k or the nucleus of mass p, draw from the "
    "renormalised softmax; temperature 0 is greedy. V is the vocabulary size.",
    ("apply_temperature", "function", '''
def apply_temperature(logits: Tensor, temperature: float) -> Tensor:
    """logits / temperature (temperature > 0), as Hugging Face's TemperatureLogitsWarper.

    logits: [..., V] -> [..., V]. Below 1 it sharpens softmax(logits), above 1 it flattens it;
    the order of the logits, hence the argmax, never changes.
    """
    raise NotImplementedError
'''),
    ("top_k_filter", "function", '''
def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the k largest logits of each row and set every other one to -inf.

    logits: [..., V] -> [..., V], kept logits unchanged (so softmax renormalises over them).
    Ties: every token whose logit equals the k-th largest is kept (the threshold is the k-th
    largest value, as Hugging Face's TopKLogitsWarper), so the kept set never depends on
    the order of the vocabulary; more than k survive only on an exact tie.
    """
    raise NotImplementedError
'''),
    ("top_p_filter", "function", '''
def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filter: keep the smallest set of most probable tokens whose total probability
    reaches p (>= p), set every other logit to -inf. 0 < p <= 1.

    logits: [..., V] -> [..., V], kept logits unchanged.
    Sort softmax(logits) in decreasing order: a token is kept iff the mass of the tokens
    ranked before it is < p. So the token whose probability crosses p is kept, and a prefix
    whose mass is exactly p ends the set (Hugging Face's TopPLogitsWarper: it removes the
    tokens whose ascending cumulative mass is <= 1 - p). The most probable token is always
    kept. Among tokens of exactly equal probability at the boundary, which ones are kept
    is left to the sort.
    """
    raise NotImplementedError
'''),
    ("sample_next_token", "function", '''
def sample_next_token(logits: Tensor, generator: torch.Generator | None = None, temperature: float = 1.0,
                      top_k: int | None = None, top_p: float | None = None) -> Tensor:
    """Draw one token per row: apply_temperature, then top_k_filter, then top_p_filter (each
    on the previous one's output, the order of Hugging Face's generate), then sample from the
    softmax with torch.multinomial(..., generator=generator).

    temperature == 0 is greedy decoding, the limit of temperature -> 0: the argmax of each
    row (torch.argmax, so the lowest index on a tie), no randomness.
    logits: [..., V] -> int64 [...]
    """
    raise NotImplementedError
'''),
)
