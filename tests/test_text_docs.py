"""The docstring examples of the text rewards run as written."""

import doctest

import pytest

import grpo_c.integrations.verl
import grpo_c.rewards.combination
import grpo_c.rewards.text


@pytest.mark.parametrize("module", [grpo_c.rewards.text, grpo_c.rewards.combination,
                                    grpo_c.integrations.verl])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
