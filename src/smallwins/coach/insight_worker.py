"""The statistics behind insights, run as ``python -m smallwins.coach.insight_worker``.

It reads one JSON request on stdin and writes one JSON answer on stdout. SciPy and NumPy are
imported here only, in a process that ends with the answer: the daemon never holds them.

A request is ``{"seed": int, "resamples": int, "stability": int, "questions": [...]}``; each
question is one person's family of pairs, ``{"pairs": [{"a", "b", "with_a", "b_values",
"months"}, ...]}``, where ``with_a`` (0 or 1), ``b_values`` and ``months`` (a month number)
are given day by day. Each pair gets a permutation test of the difference in B's daily mean
between the days with A and those without; the p-values of a question's pairs are adjusted
together (Benjamini-Hochberg), and each pair's change is worked out again over resamples of
whole months, to see whether it holds across the history rather than in one stretch of it.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The answer to ``request``: for each question, each pair's numbers."""
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(int(request.get("seed", 0)))
    resamples = int(request.get("resamples", 4999))
    stability = int(request.get("stability", 10))

    def difference(x: Any, y: Any, axis: int) -> Any:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    answers = []
    for question in request["questions"]:
        found = []
        for pair in question["pairs"]:
            present = np.asarray(pair["with_a"], dtype=bool)
            values = np.asarray(pair["b_values"], dtype=float)
            months = np.asarray(pair["months"], dtype=int)
            with_a, without = values[present], values[~present]
            test = stats.permutation_test(
                (with_a, without),
                difference,
                permutation_type="independent",
                vectorized=True,
                n_resamples=resamples,
                alternative="two-sided",
                rng=rng,
            )
            change = _change(with_a, without)
            found.append(
                {
                    "a": pair["a"],
                    "b": pair["b"],
                    "days": int(values.size),
                    "days_with": int(present.sum()),
                    "mean_with": float(with_a.mean()),
                    "mean_without": float(without.mean()),
                    "change": change,
                    "p": float(test.pvalue),
                    "held": _held(present, values, months, change, stability, rng),
                    "resamples": stability,
                }
            )
        if found:
            adjusted = stats.false_discovery_control([f["p"] for f in found], method="bh")
            for f, q in zip(found, adjusted, strict=True):
                f["q"] = float(q)
        answers.append({"pairs": found})
    return {"answers": answers}


def _change(with_a: Any, without: Any) -> float | None:
    """B's mean on days with A against days without, as a fraction (None when undefined)."""
    if with_a.size == 0 or without.size == 0 or without.mean() <= 0:
        return None
    return float(with_a.mean() / without.mean() - 1)


def _held(
    present: Any, values: Any, months: Any, change: float | None, times: int, rng: Any
) -> int:
    """In how many of ``times`` resamples of whole months (drawn with replacement) the change
    keeps its direction."""
    import numpy as np

    if change is None or change == 0:
        return 0
    distinct = np.unique(months)
    held = 0
    for _ in range(times):
        drawn = rng.choice(distinct, size=distinct.size, replace=True)
        rows = np.concatenate([np.flatnonzero(months == m) for m in drawn])
        again = _change(values[rows][present[rows]], values[rows][~present[rows]])
        if again is not None and (again > 0) == (change > 0) and again != 0:
            held += 1
    return held


def main() -> int:
    request = json.load(sys.stdin)
    json.dump(answer(request), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
