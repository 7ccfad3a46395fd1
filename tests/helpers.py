"""Assertions shared by the tests of the checks: one rejection, a catalogue of mistakes
rejected, right answers accepted."""

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


def accepted(check, students, seeds, question, argname="student"):
    """A test: ``check`` passes every one of ``students`` (right answers written differently)
    at every one of ``seeds``, hidden tests included. ``question`` is its docstring; test ids
    are ``<seed>-<argname><index>``, as two stacked ``parametrize`` marks make them."""
    @pytest.mark.parametrize("student", students,
                             ids=[f"{argname}{i}" for i in range(len(students))])
    @pytest.mark.parametrize("seed", seeds)
    def test(student, seed):
        check(student, seed=seed, hidden=True)

    test.__doc__ = question
    return test


def mistakes_rejected(check, mistakes, question, ids=None):
    """A test: ``check`` rejects each ``(student, words)`` of the catalogue ``mistakes`` with a
    message naming its case and every one of ``words`` (see :func:`rejected`)."""
    @pytest.mark.parametrize("student, words", mistakes, ids=ids)
    def test(student, words):
        rejected(check, student, words)

    test.__doc__ = question
    return test
