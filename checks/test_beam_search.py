"""Claims about beam search (questions/training/beam-search.yaml, questions/training/decoding-parameters.yaml):
width 1 is greedy, a wide enough beam is exhaustive search, greedy can miss the most probable
sequence, a wider beam is not always better, and scores are summed log-probabilities divided by
length ** length_penalty.

Oracles: checks/oracles/decoding.py (toy models, greedy decoding as a plain loop, and every
hypothesis enumerated). Scores are compared to 1e-5: Hugging Face's generate, which
tests/test_adapter_hf_generation.py grades with these checks, accumulates them in float32; the
models used keep the best two hypotheses more than 1e-3 apart, so no comparison hinges on rounding.
"""

import math

import pytest

from checks.oracles.decoding import all_hypotheses, greedy, penalised, random_model, table_model

EOS = 2  # in the random models with V = 3
TOL = 1e-5


def _ranked(model, prompt, max_new, eos, length_penalty=0.0):
    hyps = all_hypotheses(model, prompt, max_new, eos)
    return sorted(((penalised(s, lp, len(prompt), length_penalty), s) for s, lp in hyps), reverse=True)


@pytest.mark.parametrize("seed", range(6))
def test_beam_search_of_width_1_is_greedy_decoding(impl, seed):
    model = random_model(3, seed)
    expected_seq, expected_score = greedy(model, [0], 5, EOS)
    seq, score = impl.beam_search(model, [0], num_beams=1, max_new_tokens=5, eos_token_id=EOS)
    assert list(seq) == expected_seq, f"width-1 beam search returned {list(seq)}, greedy decoding {expected_seq}"
    assert math.isclose(score, expected_score, rel_tol=TOL, abs_tol=TOL), (
        f"score {score:.5f}; greedy's summed log-probability is {expected_score:.5f}")


@pytest.mark.parametrize("seed", range(4))
def test_a_beam_as_wide_as_the_candidate_set_finds_the_most_probable_sequence(impl, seed):
    # V = 3 with EOS, 4 new tokens: at most 2^3 running prefixes, so at most 3 * 2^3 = 24 candidates per
    # step. A beam of 24 keeps every candidate: beam search becomes exhaustive search.
    model, max_new = random_model(3, 100 + seed), 4
    (best_score, best_seq), (second, _) = _ranked(model, [0], max_new, EOS)[:2]
    assert best_score - second > 1e-3  # the model's best hypothesis is unambiguous
    seq, score = impl.beam_search(model, [0], num_beams=24, max_new_tokens=max_new, eos_token_id=EOS)
    assert list(seq) == best_seq and math.isclose(score, best_score, rel_tol=TOL, abs_tol=TOL), (
        f"beam of 24 returned {list(seq)} (log-prob {score:.4f}); by enumeration the most probable sequence is "
        f"{best_seq} ({best_score:.4f})")


# Greedy takes token 1 (p = 0.5), whose continuations are all flat; token 2 (p = 0.4) has a 0.9 follow-up.
GREEDY_TRAP = table_model({(0,): [0.05, 0.5, 0.4, 0.05], (0, 2): [0.9, 0.04, 0.03, 0.03]},
                          default=[0.3, 0.26, 0.24, 0.2])


def test_greedy_misses_the_most_probable_sequence_which_a_beam_of_two_finds(impl):
    (best_score, best_seq) = _ranked(GREEDY_TRAP, [0], 2, None)[0]
    g_seq, g_score = impl.beam_search(GREEDY_TRAP, [0], num_beams=1, max_new_tokens=2)
    b_seq, b_score = impl.beam_search(GREEDY_TRAP, [0], num_beams=2, max_new_tokens=2)
    assert list(g_seq) == [0, 1, 0] and math.isclose(g_score, math.log(0.5 * 0.3), abs_tol=TOL), (
        f"width 1 returned {list(g_seq)} with log-prob {g_score:.4f}; greedy takes [0, 1, 0] (p = 0.15)")
    assert list(b_seq) == best_seq == [0, 2, 0] and math.isclose(b_score, best_score, abs_tol=TOL), (
        f"width 2 returned {list(b_seq)} ({b_score:.4f}); the most probable sequence is {best_seq} (p = 0.36)")


# Width 2 keeps the two continuations of token 2 (0.3 * 0.48 and 0.3 * 0.47 beat 0.5 * 0.26), whose third
# tokens are all flat; greedy keeps token 1 then 0, whose third token has p = 0.97.
WIDER_IS_WORSE = table_model({(0,): [0.05, 0.5, 0.3, 0.15], (0, 1): [0.26, 0.25, 0.25, 0.24],
                              (0, 2): [0.48, 0.47, 0.03, 0.02], (0, 1, 0): [0.97, 0.01, 0.01, 0.01]},
                             default=[0.28, 0.25, 0.24, 0.23])


def test_a_wider_beam_can_return_a_less_probable_sequence_than_greedy(impl):
    g_seq, g_score = impl.beam_search(WIDER_IS_WORSE, [0], num_beams=1, max_new_tokens=3)
    b_seq, b_score = impl.beam_search(WIDER_IS_WORSE, [0], num_beams=2, max_new_tokens=3)
    assert math.isclose(g_score, math.log(0.5 * 0.26 * 0.97), abs_tol=TOL), (
        f"width 1 returned {list(g_seq)} scored {g_score:.4f}; greedy takes [0, 1, 0, 0], log(0.5·0.26·0.97) = "
        f"{math.log(0.5 * 0.26 * 0.97):.4f}")
    assert math.isclose(b_score, math.log(0.3 * 0.48 * 0.28), abs_tol=TOL), (
        f"width 2 returned {list(b_seq)} with log-prob {b_score:.4f}; expected [0, 2, 0, 0] "
        f"(log 0.3·0.48·0.28 = {math.log(0.3 * 0.48 * 0.28):.4f})")
    assert b_score < g_score - 1  # p = 0.040 against greedy's 0.126
    assert _ranked(WIDER_IS_WORSE, [0], 3, None)[0][1] == list(g_seq)  # here greedy is even the optimum


# EOS = 3. Stopping at once has p = 0.4; the longer [1, 2, EOS] has p = 0.45 * 0.9 * 0.9 = 0.3645.
LENGTH = table_model({(0,): [0.05, 0.45, 0.1, 0.4], (0, 1): [0.03, 0.02, 0.9, 0.05],
                      (0, 1, 2): [0.02, 0.03, 0.05, 0.9]}, default=[0.28, 0.25, 0.24, 0.23])


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_without_a_length_penalty_the_summed_log_probability_favours_stopping_early(impl, length_penalty):
    seq, score = impl.beam_search(LENGTH, [0], num_beams=2, max_new_tokens=3, eos_token_id=3,
                                  length_penalty=length_penalty)
    expected = [0, 3] if length_penalty == 0 else [0, 1, 2, 3]
    exp_score = math.log(0.4) if length_penalty == 0 else math.log(0.3645) / 3
    assert list(seq) == expected and math.isclose(score, exp_score, abs_tol=TOL), (
        f"length_penalty={length_penalty}: got {list(seq)} scored {score:.4f}; expected {expected} scored "
        f"{exp_score:.4f} (sum of log-probs / generated length ** length_penalty, EOS counted, prompt not)")


@pytest.mark.parametrize("length_penalty", [-0.5, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("seed", range(3))
def test_the_score_is_the_summed_log_probability_over_length_to_the_power_of_the_penalty(impl, seed, length_penalty):
    model, max_new = random_model(3, 200 + seed, scale=1.5), 4
    (best_score, best_seq), (second, _) = _ranked(model, [0], max_new, EOS, length_penalty)[:2]
    assert best_score - second > 1e-3
    seq, score = impl.beam_search(model, [0], num_beams=24, max_new_tokens=max_new, eos_token_id=EOS,
                                  length_penalty=length_penalty)
    assert list(seq) == best_seq and math.isclose(score, best_score, rel_tol=TOL, abs_tol=TOL), (
        f"length_penalty={length_penalty}: got {list(seq)} scored {score:.4f}; the best by sum / n ** "
        f"{length_penalty} is {best_seq} scored {best_score:.4f}")
