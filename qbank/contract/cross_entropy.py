"""The contract of the `cross_entropy` component: the language-modelling loss and the numbers derived from it."""

from qbank.contract.model import component

COMPONENT = component(
    "cross_entropy", "Cross-entropy, perplexity and the causal-LM loss",
    "−log softmax(logits)[target] from logits, stably; perplexity, bits per byte, and the shifted, "
    "masked next-token loss of a causal LM. V is the vocabulary size, N the number of scored tokens.",
    ("cross_entropy", "function", '''
def cross_entropy(logits: Tensor, target: Tensor, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> Tensor:
    """Mean over the scored tokens of −Σ_v y_v log softmax(logits)_v, as F.cross_entropy.

    logits: [N, V] float, any dtype (float16 included)   target: [N] int64
    Rows whose target == ignore_index are left out of the sum AND of the count.
    label_smoothing ε: y = (1 − ε)·one_hot(target) + ε/V, i.e. ε is spread over all V
    classes, the target included (PyTorch's convention).
    Must be stable: finite and accurate for huge logits (1e4 in float64, 1e3 in float16),
    so never exponentiate a logit before subtracting the row's maximum (log-sum-exp).
    returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
    ("perplexity", "function", '''
def perplexity(logits: Tensor, target: Tensor, ignore_index: int = -100) -> Tensor:
    """exp(mean cross-entropy in nats) over the scored tokens: the geometric mean of
    1 / p(target). A model that is uniform over V tokens has perplexity V.

    logits: [N, V]   target: [N] int64 (ignore_index rows left out)   returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
    ("bits_per_byte", "function", '''
def bits_per_byte(logits: Tensor, target: Tensor, n_bytes: int, ignore_index: int = -100) -> Tensor:
    """Total negative log-likelihood of the scored tokens, in bits, divided by the number
    of bytes (UTF-8) of the text they encode: Σ_t −ln p(target_t) / (n_bytes · ln 2).
    It does not depend on how the text was cut into tokens, so it compares models with
    different tokenizers (perplexity per token does not).

    logits: [N, V]   target: [N] int64   n_bytes: int   returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
    ("causal_lm_loss", "function", '''
def causal_lm_loss(logits: Tensor, input_ids: Tensor, loss_mask: Tensor | None = None,
                   num_items_in_batch: int | None = None) -> Tensor:
    """Next-token loss of a decoder-only LM: the logits at position t are scored against
    the token at t + 1 (the labels are the inputs shifted left by one; the last position
    predicts nothing).

    logits: [B, T, V]   input_ids: [B, T] int64
    loss_mask: bool [B, T], True where a token is a target to learn (False at prompt and
        padding tokens: they are left out as if labelled ignore_index); None = all True.
        loss_mask[:, 0] is never used: nothing predicts the first token.
    num_items_in_batch: None -> the mean over this call's target tokens. An int -> the sum
        over this call's target tokens divided by it: pass the number of target tokens of
        the whole batch, and the micro-batch losses of gradient accumulation add up to the
        full batch's per-token mean (Hugging Face's convention and name).
    returns a 0-dim tensor
    """
    raise NotImplementedError
'''),
)
