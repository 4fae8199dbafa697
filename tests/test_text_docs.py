"""The docstring examples of the text rewards run as written."""

import doctest

import pytest

import grpo_c.frameworks.trl
import grpo_c.frameworks.verl
import grpo_c.rewards.combination
import grpo_c.rewards.text


@pytest.mark.parametrize("module", [grpo_c.rewards.text, grpo_c.rewards.combination,
                                    grpo_c.frameworks.verl, grpo_c.frameworks.trl])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
