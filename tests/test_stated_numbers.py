"""Does the fact-14 helper tell a stated number that matches its run from one that does not?"""

import nbformat
import pytest

from tests.stated_numbers import Claim, agrees, assert_claims


def test_agrees_at_the_stated_precision():
    assert agrees("93.4", "0.93412", scale=100)
    assert agrees("1.2247", "1.224744871")
    assert agrees("382", "382")
    assert not agrees("93.4", "0.9352", scale=100)
    assert not agrees("234", "233")
    assert agrees("1,797", "1797")


def _notebook(markdown, printed):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell("x")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    return nb


@pytest.mark.parametrize("markdown, printed, words", [
    ("BN reaches 93.4% accuracy.", "accuracy: 0.9341\n", None),
    ("BN reaches 95.0% accuracy.", "accuracy: 0.9341\n", "the text says 95.0"),
    ("BN reaches a high accuracy.", "accuracy: 0.9341\n", "no longer says"),
    ("BN reaches 93.4% accuracy.", "acc = 0.9341\n", "no longer prints"),
])
def test_assert_claims_fails_when_text_and_run_disagree(tmp_path, markdown, printed, words):
    nb = _notebook(markdown, printed)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    claims = [Claim(r"reaches (\d+\.\d)% accuracy", r"accuracy: (\d\.\d+)", scale=100)]
    if words is None:
        assert_claims(nb, path, claims)
    else:
        with pytest.raises(AssertionError, match=words):
            assert_claims(nb, path, claims)
