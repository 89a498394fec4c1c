"""Claims about scaled dot-product attention (questions/attention/scaled-dot-product-attention.yaml,
and the exact-zero claims of questions/masking/*.yaml).

Each check is named as the claim reads. The oracle is PyTorch's own
`F.scaled_dot_product_attention`, in float64, fed inputs where the classic mistakes show
(`checks.strategies.qkv_stress`: T = S >= 2, and scores up to ~1e5, past exp()'s overflow).
The masking checks also run in float32, float16 and bfloat16 with scores of up to 1e12 (3e4
in float16), where a finite fill constant such as -1e4 or -1e9 no longer hides a key; their
expected weights are exact (0 or 1), so no tolerance hides a leak either.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given
from hypothesis import strategies as st
from torch.testing import assert_close

from checks.strategies import masks, qkv, qkv_stress, sizes, tensors

# the contract's convention, quoted by every failure of the masking checks below
MASK_CONVENTION = ("the contract sets a masked score to -inf (or hands a boolean mask to SDPA), so its weight is "
                   "exp(-inf) = 0 exactly, whatever the other scores and the dtype; a finite fill constant (-1e4, "
                   "-1e9, finfo.min) is outweighed once the scores pass it, and -1e9 does not even fit in float16")
EMPTY_ROW_CONVENTION = ("the contract gives a query with no allowed key all-zero weights and a zero output, as "
                        "F.scaled_dot_product_attention does: a plain masked softmax divides 0 by 0 (NaN), which "
                        "the next layer spreads to every position, and a finite fill gives uniform weights instead")

# A fixed case where the classic mistakes all show (T = S = 3, Dk = 2, moderate asymmetric scores):
# Hypothesis' derandomized runs (CI) may otherwise try only all-zero or one-dimensional inputs,
# where scaling, transposition and the softmax axis make no difference.
MODERATE = (torch.tensor([[1.0, 2.0], [-1.5, 0.5], [2.0, -1.0]], dtype=torch.float64),
            torch.tensor([[0.5, 1.0], [2.0, -0.5], [-1.0, 1.5]], dtype=torch.float64),
            torch.tensor([[1.0, 0.5], [2.0, -1.0], [-3.0, 0.0]], dtype=torch.float64))

# The largest |score| each dtype is tested with: float16 stops at 65504; 1e12 is far past every
# finite fill constant in use, and float32/bfloat16 hold it easily.
SCORE_RANGE = {torch.float64: 1e12, torch.float32: 1e12, torch.bfloat16: 1e12, torch.float16: 3e4}
DTYPES = list(SCORE_RANGE)


@given(qkv_stress())
@example((torch.tensor([[40.0, 0.0], [0.0, 40.0]], dtype=torch.float64),  # T = S = 2, scores ±1131 (exp
          torch.tensor([[40.0, 0.0], [0.0, -40.0]], dtype=torch.float64),  # overflows past 709), weights
          torch.tensor([[1.0], [2.0]], dtype=torch.float64)))              # [[1, 0], [1, 0]]: not symmetric
@example(MODERATE)
def test_attention_matches_torch_scaled_dot_product_attention(impl, qkv):
    q, k, v = qkv
    assert_close(impl.scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v))


@given(qkv_stress(batch=(2,)), st.data())
def test_masked_attention_matches_torch_scaled_dot_product_attention(impl, qkv, data):
    q, k, v = qkv
    mask = data.draw(masks((2, q.size(-2), k.size(-2))), label="mask")
    assert_close(impl.scaled_dot_product_attention(q, k, v, mask),
                 F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


@given(qkv_stress())
@example(MODERATE)
def test_score_of_query_t_and_key_s_is_their_dot_product_divided_by_sqrt_dk(impl, qkv):
    q, k, _ = qkv
    Dk = q.size(-1)
    scores = torch.einsum("...td,...sd->...ts", q, k) / Dk**0.5  # independent of `@`
    e = (scores - scores.amax(dim=-1, keepdim=True)).exp()  # the textbook softmax, shifted to stay finite
    w = impl.attention_weights(q, k)
    assert w.shape == scores.shape, f"weights have shape {tuple(w.shape)}, expected [..., T, S] = {tuple(scores.shape)}"
    assert_close(w, e / e.sum(dim=-1, keepdim=True))


@given(qkv_stress())
@example(MODERATE)
def test_each_row_of_weights_is_a_probability_distribution_over_the_keys(impl, qkv):
    q, k, _ = qkv
    w = impl.attention_weights(q, k)  # [..., T, S]
    assert w.shape == (*q.shape[:-1], k.size(-2)), f"weights have shape {tuple(w.shape)}, expected [..., T, S]"
    assert not w.isnan().any(), "NaN weights: does the softmax subtract the row maximum before exp()?"
    assert (w >= 0).all(), f"negative weight {w.min().item()}"
    assert_close(w.sum(dim=-1), torch.ones(w.shape[:-1], dtype=w.dtype),
                 msg=lambda m: f"rows of the weights do not sum to 1 (is the softmax over the keys, dim=-1?)\n{m}")


@given(qkv_stress())
@example(MODERATE)
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
    S = S + (S >= T)  # S != T: a transposed [S, T] weight matrix cannot pass for [T, S]
    q, k, v = data.draw(tensors(T, Dk)), data.draw(tensors(S, Dk)), data.draw(tensors(S, Dv + 1))
    w = impl.attention_weights(q, k)
    assert w.shape == (T, S), f"weights have shape {tuple(w.shape)}, expected [T, S] = {(T, S)}"
    out = impl.scaled_dot_product_attention(q, k, v)
    assert out.shape == (T, Dv + 1), f"output has shape {tuple(out.shape)}, expected [T, Dv] = {(T, Dv + 1)}"


@given(qkv(batch=()), st.data())
def test_reordering_keys_together_with_values_leaves_the_output_unchanged(impl, qkv, data):
    q, k, v = qkv
    perm = torch.tensor(data.draw(st.permutations(range(k.size(-2))), label="perm"))
    assert_close(impl.scaled_dot_product_attention(q, k[perm], v[perm]),
                 impl.scaled_dot_product_attention(q, k, v))


# --- masked keys and empty rows, in every dtype and at every score range ------------------------

def _extreme_rows(dtype: torch.dtype, X: float):
    """q [4, 1], k [4, 1], v [4, 4] and mask [4, 4] with Dk = 1, so the scores are q_t k_s:
    rows 0 and 1 score the keys [-X, X, X/2, -X/2], row 2 scores them [X, -X, -X/2, X/2].
    Row 0 may attend to key 0 only (-X) while a masked key scores +X; row 1 to keys 0 and 3
    (-X, -X/2); row 2 to keys 1 and 2 (-X, -X/2); row 3 to nothing. Every allowed score is
    negative, every row has a masked key above it: whatever a finite fill constant is, some X
    beats it. Returns (q, k, v, mask, expected weights in float64)."""
    r = math.sqrt(X)
    q = torch.tensor([[r], [r], [-r], [r]]).to(dtype)
    k = torch.tensor([[-r], [r], [r / 2], [-r / 2]]).to(dtype)
    v = torch.eye(4).to(dtype) * torch.tensor([1.0, 2.0, 3.0, 4.0]).to(dtype)  # output row t = weights * (1..4)
    mask = torch.tensor([[1, 0, 0, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=torch.bool)
    scores = (q.double() @ k.double().T).masked_fill(~mask, float("-inf"))  # the same rounded inputs, float64
    expected = torch.where(mask.any(-1, keepdim=True), scores.softmax(-1), 0.0)
    return q, k, v, mask, expected


def _attend(fn, *args, dtype: torch.dtype, X: float):
    try:
        return fn(*args)
    except RuntimeError as e:  # masked_fill(-1e9) on float16: "value cannot be converted ... without overflow"
        pytest.fail(f"{fn.__name__} raised on {dtype} scores of ±{X:g}: {e}\n({MASK_CONVENTION})")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("large", [False, True], ids=["scores ±1", "largest scores"])
def test_a_masked_key_gets_exactly_zero_weight_whatever_the_score_range_and_dtype(impl, dtype, large):
    X = SCORE_RANGE[dtype] if large else 1.0
    q, k, v, mask, expected = _extreme_rows(dtype, X)
    w = _attend(impl.attention_weights, q, k, mask, dtype=dtype, X=X)
    assert w.dtype == dtype, f"weights come back as {w.dtype}, expected the inputs' {dtype}"
    rows = mask.any(-1)
    leaked = w[rows][~mask[rows]]
    assert (leaked == 0).all(), (f"masked keys got weights {leaked.tolist()} at scores of ±{X:g} in {dtype}: "
                                 f"{MASK_CONVENTION}")
    tolerance = dict(rtol=0, atol=0) if large else dict(rtol=0, atol=2 * torch.finfo(dtype).eps)
    assert_close(w[rows].double(), expected[rows], **tolerance)  # large: one-hot rows, exact in every dtype
    out = _attend(impl.scaled_dot_product_attention, q, k, v, mask, dtype=dtype, X=X)
    assert_close(out[rows].double(), (expected @ v.double())[rows], **tolerance)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("large", [False, True], ids=["scores ±1", "largest scores"])
def test_a_query_with_every_key_masked_gets_zero_weights_and_a_zero_output(impl, dtype, large):
    X = SCORE_RANGE[dtype] if large else 1.0
    q, k, v, mask, expected = _extreme_rows(dtype, X)  # row 3 may attend to nothing
    w = _attend(impl.attention_weights, q, k, mask, dtype=dtype, X=X)
    out = _attend(impl.scaled_dot_product_attention, q, k, v, mask, dtype=dtype, X=X)
    assert not w.isnan().any() and not out.isnan().any(), f"NaN in {dtype}: {EMPTY_ROW_CONVENTION}"
    assert (w[3] == 0).all() and (out[3] == 0).all(), (
        f"the empty row got weights {w[3].tolist()} and output {out[3].tolist()} in {dtype}: {EMPTY_ROW_CONVENTION}")
    rows = slice(0, 3)  # the other queries are untouched by the empty one: their exact one-hot or soft rows
    tolerance = dict(rtol=0, atol=0) if large else dict(rtol=0, atol=2 * torch.finfo(dtype).eps)
    assert_close(out[rows].double(), (expected @ v.double())[rows], **tolerance)
