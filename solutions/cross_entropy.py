"""Cross-entropy from logits, and what language modelling builds on it.

    CE(z, y) = −log softmax(z)_y = logsumexp(z) − z_y,  logsumexp(z) = m + log Σ_v exp(z_v − m)

with m = max_v z_v, so no exponent is positive and nothing overflows, in float16 too.
Label smoothing ε trains toward (1 − ε)·one_hot(y) + ε/V (ε spread over all V classes);
rows with y = ignore_index drop out of the sum and of the count.

Perplexity = exp(mean CE in nats); bits per byte = total CE / (bytes · ln 2).
Causal LM: logits[:, t] predict input_ids[:, t + 1]; prompt and padding targets are masked.
Shapes: N scored tokens, V vocabulary, B batch, T positions.
"""

import math

import torch
from torch import Tensor


def _token_losses(logits: Tensor, target: Tensor, ignore_index: int, label_smoothing: float = 0.0):
    """Per-row losses [N] (0 at ignored rows) and the bool [N] of scored rows."""
    scored = target != ignore_index
    z = logits - logits.amax(-1, keepdim=True)  # every exponent <= 0
    log_probs = z - z.exp().sum(-1, keepdim=True).log()  # log softmax, [N, V]
    nll = -log_probs.gather(-1, target.clamp(min=0)[:, None])[:, 0]  # ignored rows read class 0, then dropped
    smooth = -log_probs.mean(-1)  # CE against the uniform distribution ε/V
    loss = (1 - label_smoothing) * nll + label_smoothing * smooth
    return torch.where(scored, loss, 0.0), scored


# --8<-- [start:cross_entropy]
def cross_entropy(logits: Tensor, target: Tensor, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> Tensor:
    """Mean over the scored rows of the (smoothed) negative log-likelihood."""
    losses, scored = _token_losses(logits, target, ignore_index, label_smoothing)
    return losses.sum() / scored.sum()
# --8<-- [end:cross_entropy]


# --8<-- [start:perplexity]
def perplexity(logits: Tensor, target: Tensor, ignore_index: int = -100) -> Tensor:
    return cross_entropy(logits, target, ignore_index).exp()  # nats -> e**CE, not 2**CE
# --8<-- [end:perplexity]


# --8<-- [start:bits_per_byte]
def bits_per_byte(logits: Tensor, target: Tensor, n_bytes: int, ignore_index: int = -100) -> Tensor:
    losses, _ = _token_losses(logits, target, ignore_index)
    return losses.sum() / (n_bytes * math.log(2))  # total nats -> bits, per byte of text
# --8<-- [end:bits_per_byte]


# --8<-- [start:causal_lm_loss]
def causal_lm_loss(logits: Tensor, input_ids: Tensor, loss_mask: Tensor | None = None,
                   num_items_in_batch: int | None = None) -> Tensor:
    labels = input_ids if loss_mask is None else input_ids.masked_fill(~loss_mask, -100)
    V = logits.size(-1)
    losses, scored = _token_losses(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), -100)
    return losses.sum() / (scored.sum() if num_items_in_batch is None else num_items_in_batch)
# --8<-- [end:causal_lm_loss]
