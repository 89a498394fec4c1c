"""The chi-square goodness-of-fit test of the frequency checks (sampling, speculative decoding).

With N draws from a distribution with k categories of probabilities e_i, Pearson's statistic
X² = Σ (n_i − N e_i)² / (N e_i) follows a chi-square distribution with k − 1 degrees of freedom
(mean k − 1, standard deviation √(2(k − 1))) when the draws really come from e. The checks reject
above the quantile with upper tail TAIL = 1e-6: e.g. 33.4 for 4 degrees of freedom, i.e.
10 standard deviations above the mean, and ~1e-6 · (checks × seeds) false alarms in the 200-seed
re-run. The quantile is computed here from the regularised incomplete gamma function
(P(X² > x) = Q(df/2, x/2)), so no threshold is typed in.
"""

import torch

TAIL = 1e-6


def chi_square_quantile(df: int, tail: float = TAIL) -> float:
    """The x with P(chi-square(df) > x) = tail, by bisection on the survival function."""
    lo, hi = 0.0, float(df) + 200.0
    a = torch.tensor(df / 2, dtype=torch.float64)
    for _ in range(200):
        mid = (lo + hi) / 2
        if torch.special.gammaincc(a, torch.tensor(mid / 2, dtype=torch.float64)).item() > tail:
            lo = mid
        else:
            hi = mid
    return hi


def chi_square_statistic(counts: torch.Tensor, probs: torch.Tensor) -> float:
    """Pearson's X² of integer counts against probabilities (categories with probability > 0)."""
    n = counts.sum()
    keep = probs > 0
    expected = n * probs[keep]
    return (((counts[keep] - expected) ** 2) / expected).sum().item()
