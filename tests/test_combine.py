"""combine(): TRL's weighted nansum with all-NaN rows kept NaN, against the plain twin."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grpo_c import reference
from grpo_c.rewards import combine


def test_examples():
    out = combine([[1.0, 0.0, None], [0.5, None, None]], weights=[1.0, 2.0])
    assert out.tolist()[:2] == [2.0, 0.0] and math.isnan(out[2])
    matrix = np.array([[1.0, 2.0], [np.nan, 3.0]])
    assert combine(matrix).tolist() == [3.0, 3.0]
    assert combine({"a": [1.0], "b": [2.0]}, {"a": 0.5, "b": 1.0}).tolist() == [2.5]


values = st.one_of(st.floats(-10, 10, allow_nan=False), st.just(float("nan")))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                  elements=values),
       st.data())
def test_against_plain_twin(matrix, data):
    weights = data.draw(st.lists(st.floats(-3, 3), min_size=matrix.shape[1],
                                 max_size=matrix.shape[1]))
    got = combine(matrix, weights)
    want = reference.combine(matrix.tolist(), weights)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    list_form = combine([matrix[:, j] for j in range(matrix.shape[1])], weights)
    np.testing.assert_array_equal(got, list_form)


def test_torch_trl_formula_when_available():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    m = rng.normal(size=(50, 3))
    m[rng.random(m.shape) < 0.3] = np.nan
    w = np.array([1.0, 0.5, 2.0])
    trl_like = (torch.tensor(m) * torch.tensor(w).unsqueeze(0)).nansum(dim=1).numpy()
    got = combine(m, w)
    rows = ~np.isnan(m).all(axis=1)
    np.testing.assert_allclose(got[rows], trl_like[rows], rtol=1e-12)
    assert np.isnan(got[~rows]).all()


@pytest.mark.parametrize("bad,weights,exc,match", [
    ([[1.0, 2.0], [1.0]], None, ValueError, "lengths"),
    ([[1.0, 2.0]], [1.0, 2.0], ValueError, "weights"),
    ([[1.0]], [float("nan")], ValueError, "finite"),
    (np.zeros(3), None, ValueError, r"\(N, R\)"),
    ("abc", None, TypeError, "rewards"),
    ([["a", "b"]], None, TypeError, "numbers"),
])
def test_bad_input(bad, weights, exc, match):
    with pytest.raises(exc, match=match):
        combine(bad, weights)


def test_empty():
    assert combine([]).shape == (0,)
    assert combine(np.zeros((0, 2))).shape == (0,)
