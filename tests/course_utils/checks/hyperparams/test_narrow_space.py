"""Does check_narrow_space (notebook 08) accept a right narrowing and name each mistake of its
catalogue?"""

import numpy as np
import pytest

from course_utils.checks import check_narrow_space
from tests.helpers import accepted, mistakes_rejected

pytestmark = pytest.mark.nb08


# =========================================================================================
# narrow_space
# =========================================================================================

def narrow_right(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("need results and top_k >= 1")
    best = sorted(results, key=lambda r: r["score"])[:top_k]
    return {name: (min(r["params"][name] for r in best), max(r["params"][name] for r in best),
                   kind) for name, (_, _, kind) in space.items()}


def narrow_numpy(results, space, top_k=5):
    if top_k < 1 or len(results) == 0:
        raise ValueError("need results and top_k >= 1")
    order = np.argsort([r["score"] for r in results], kind="stable")[:top_k]
    out = {}
    for name, spec in space.items():
        values = np.array([results[i]["params"][name] for i in order])
        out[name] = [values.min(), values.max(), spec[2]]             # a list is fine too
    return out


test_right_narrow_space_accepted = accepted(
    check_narrow_space, [narrow_right, narrow_numpy], [0, 8, None],
    """Is a correct narrow_space accepted (tuples or lists, Python or numpy numbers)?""")


def _narrow_with(select, kind=None, swap=False):
    def narrow(results, space, top_k=5):
        if top_k < 1 or not results:
            raise ValueError("bad input")
        chosen = select(results, top_k)
        out = {}
        for name, (_, _, k) in space.items():
            lo = min(r["params"][name] for r in chosen)
            hi = max(r["params"][name] for r in chosen)
            out[name] = (hi, lo, k) if swap else (lo, hi, kind or k)
        return out
    return narrow


def narrow_sorts_in_place(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("bad input")
    results.sort(key=lambda r: r["score"])
    return narrow_right(results, space, top_k)


def narrow_old_space(results, space, top_k=5):
    if top_k < 1 or not results:
        raise ValueError("bad input")
    return dict(space)


NARROW_MISTAKES = [
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: -r["score"])[:k]), "worst top_k"),
    (_narrow_with(lambda res, k: res[:k]), "without sorting them by score"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:5]),
     "top_k argument was ignored"),
    (_narrow_with(lambda res, k: res), "all the results were spanned"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:k], kind="linear"),
     "keep the old kind"),
    (_narrow_with(lambda res, k: sorted(res, key=lambda r: r["score"])[:k], swap=True),
     "low is the smallest value"),
    (narrow_sorts_in_place, "changed its input `results`"),
    (narrow_old_space, "old space was returned unchanged"),
    (lambda results, space, top_k=5: narrow_right(results, space, top_k) if results else {},
     "should raise ValueError"),
]


test_narrow_mistakes_rejected = mistakes_rejected(
    check_narrow_space, NARROW_MISTAKES,
    """Is each wrong narrowing rejected, with a message naming the mistake?""",
    ids=[f"{i}-{w}" for i, (_, w) in enumerate(NARROW_MISTAKES)])
