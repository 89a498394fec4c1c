"""Claims about scaled dot-product attention (questions/attention/scaled-dot-product-attention.yaml).

Each check is named as the claim reads. The oracle is PyTorch's own
`F.scaled_dot_product_attention`, in float64.
"""

import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import masks, qkv, sizes, tensors


@given(qkv())
def test_attention_matches_torch_scaled_dot_product_attention(impl, qkv):
    q, k, v = qkv
    assert_close(impl.scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v))


@given(qkv(batch=(2,)), st.data())
def test_masked_attention_matches_torch_scaled_dot_product_attention(impl, qkv, data):
    q, k, v = qkv
    mask = data.draw(masks((2, q.size(-2), k.size(-2))), label="mask")
    assert_close(impl.scaled_dot_product_attention(q, k, v, mask),
                 F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


@given(qkv())
def test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk(impl, qkv):
    q, k, _ = qkv
    Dk = q.size(-1)
    scores = torch.einsum("...td,...sd->...ts", q, k) / Dk**0.5  # independent of `@`
    expected = scores.exp() / scores.exp().sum(dim=-1, keepdim=True)  # textbook softmax; |scores| <= 125
    assert_close(impl.attention_weights(q, k), expected)


@given(qkv())
def test_each_row_of_weights_is_a_probability_distribution_over_the_keys(impl, qkv):
    q, k, _ = qkv
    w = impl.attention_weights(q, k)  # [..., T, S]
    assert w.shape == (*q.shape[:-1], k.size(-2)), f"weights have shape {tuple(w.shape)}, expected [..., T, S]"
    assert (w >= 0).all(), f"negative weight {w.min().item()}"
    assert_close(w.sum(dim=-1), torch.ones(w.shape[:-1], dtype=w.dtype))


@given(qkv())
def test_output_is_a_convex_combination_of_the_value_rows(impl, qkv):
    q, k, v = qkv
    out = impl.scaled_dot_product_attention(q, k, v)  # [..., T, Dv]
    assert_close(out, impl.attention_weights(q, k) @ v)
    lo = v.min(dim=-2, keepdim=True).values  # [..., 1, Dv]
    hi = v.max(dim=-2, keepdim=True).values
    slack = 1e-12 * (1 + v.abs().max())  # float64 rounding of a weighted sum of <= 5 terms
    assert ((lo - slack <= out) & (out <= hi + slack)).all(), "an output leaves the range of the values"


@given(sizes, sizes, sizes, sizes, st.data())
def test_output_has_one_row_per_query_and_the_width_of_the_values(impl, T, S, Dk, Dv, data):
    q, k, v = data.draw(tensors(T, Dk)), data.draw(tensors(S, Dk)), data.draw(tensors(S, Dv + 1))
    assert impl.attention_weights(q, k).shape == (T, S)
    assert impl.scaled_dot_product_attention(q, k, v).shape == (T, Dv + 1)


@given(qkv(batch=()), st.data())
def test_reordering_keys_together_with_values_leaves_the_output_unchanged(impl, qkv, data):
    q, k, v = qkv
    perm = torch.tensor(data.draw(st.permutations(range(k.size(-2))), label="perm"))
    assert_close(impl.scaled_dot_product_attention(q, k[perm], v[perm]),
                 impl.scaled_dot_product_attention(q, k, v))


@given(qkv(batch=()))
@example((torch.zeros(1, 1, dtype=torch.float64),) * 3)
def test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output(impl, qkv):
    q, k, v = qkv
    mask = torch.ones(q.size(0), k.size(0), dtype=torch.bool)
    mask[0] = False  # query 0 may attend to nothing; the others to everything
    w = impl.attention_weights(q, k, mask)
    out = impl.scaled_dot_product_attention(q, k, v, mask)
    assert not out.isnan().any(), "a fully masked row produced NaN"
    assert_close(w[0], torch.zeros_like(w[0]))
    assert_close(out[0], torch.zeros_like(out[0]))
    assert_close(out[1:], impl.scaled_dot_product_attention(q[1:], k, v))
