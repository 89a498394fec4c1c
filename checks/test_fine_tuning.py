"""Claims about supervised fine-tuning (questions/llm/transfer-learning.yaml).

Library behaviour of PyTorch's cross-entropy, in float64: the label -100 (`ignore_index`)
takes a position out of the loss, which is how supervised fine-tuning trains on the response
and not on the prompt.
"""

import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import randn, seeds


@given(st.integers(1, 6), st.integers(1, 6), st.integers(2, 9), seeds)
def test_labels_of_minus_100_take_prompt_tokens_out_of_the_loss_and_their_logits_get_no_gradient(P, R, V, seed):
    logits = randn(P + R, V, seed=seed).requires_grad_(True)  # P prompt then R response positions
    targets = torch.randint(V, (P + R,), generator=torch.Generator().manual_seed(seed))
    labels = targets.clone()
    labels[:P] = -100  # the prompt: no loss
    loss = F.cross_entropy(logits, labels)  # ignore_index=-100 is the default
    response_only = F.cross_entropy(logits[P:], targets[P:])
    assert_close(loss, response_only)  # the mean runs over the R response tokens only
    loss.backward()
    assert torch.equal(logits.grad[:P], torch.zeros(P, V, dtype=torch.float64))
    assert (logits.grad[P:].abs().sum(-1) > 0).all()
