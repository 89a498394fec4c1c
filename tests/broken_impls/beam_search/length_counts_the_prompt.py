"""Length penalty that divides by the whole sequence length, prompt included, instead of the generated tokens."""


def beam_search(next_log_probs, prompt, num_beams, max_new_tokens, eos_token_id=None, length_penalty=0.0):
    running, finished = [(list(prompt), 0.0)], []
    for _ in range(max_new_tokens):
        candidates = [(seq + [tok], logp + step)
                      for seq, logp in running
                      for tok, step in enumerate(next_log_probs(seq).tolist())]
        candidates.sort(key=lambda c: c[1], reverse=True)
        finished += [c for c in candidates[:num_beams] if c[0][-1] == eos_token_id]
        running = [c for c in candidates if c[0][-1] != eos_token_id][:num_beams]
    finished += running
    best = max(finished, key=lambda c: c[1] / len(c[0]) ** length_penalty)  # len(seq) counts the prompt
    return best[0], best[1] / len(best[0]) ** length_penalty


MUST_FAIL = {
    "checks/test_beam_search.py::test_without_a_length_penalty_the_summed_log_probability_favours_stopping_early",
    "checks/test_beam_search.py::test_the_score_is_the_summed_log_probability_over_length_to_the_power_of_the_penalty",
}
