"""Assertions shared by the tests of the checks."""

import pytest

from course_utils.checks import CheckFailure


def rejected(check, student, words, seed=0, hidden=True):
    """The check must fail on ``student`` with a message naming the case and each of ``words``."""
    with pytest.raises(CheckFailure) as info:
        check(student, seed=seed, hidden=hidden)
    message = str(info.value)
    assert message.startswith("case '"), message
    for w in ([words] if isinstance(words, str) else words):
        assert w in message, message
    return message
