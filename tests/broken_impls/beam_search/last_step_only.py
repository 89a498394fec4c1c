"""Beam search that ranks hypotheses by the last step's log-probability instead of accumulating the sum."""


def beam_search(next_log_probs, prompt, num_beams, max_new_tokens, eos_token_id=None, length_penalty=0.0):
    n0 = len(prompt)
    running, finished = [(list(prompt), 0.0)], []
    for _ in range(max_new_tokens):
        candidates = [(seq + [tok], step)  # forgot "logp +": only this step's log-probability
                      for seq, logp in running
                      for tok, step in enumerate(next_log_probs(seq).tolist())]
        candidates.sort(key=lambda c: c[1], reverse=True)
        finished += [c for c in candidates[:num_beams] if c[0][-1] == eos_token_id]
        running = [c for c in candidates if c[0][-1] != eos_token_id][:num_beams]
    finished += running
    best = max(finished, key=lambda c: c[1] / (len(c[0]) - n0) ** length_penalty)
    return best[0], best[1] / (len(best[0]) - n0) ** length_penalty


MUST_FAIL = {
    "checks/test_beam_search.py::test_beam_search_of_width_1_is_greedy_decoding",
    "checks/test_beam_search.py::test_a_beam_as_wide_as_the_candidate_set_finds_the_most_probable_sequence",
    "checks/test_beam_search.py::test_greedy_misses_the_most_probable_sequence_which_a_beam_of_two_finds",
    "checks/test_beam_search.py::test_a_wider_beam_can_return_a_less_probable_sequence_than_greedy",
    "checks/test_beam_search.py::test_without_a_length_penalty_the_summed_log_probability_favours_stopping_early",
    "checks/test_beam_search.py::test_the_score_is_the_summed_log_probability_over_length_to_the_power_of_the_penalty",
}
