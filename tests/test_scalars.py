"""data.scalars: a frame cell converted once gives what float() / int() give."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_insights.data.scalars import as_float, as_int


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_as_float_matches_float_for_cells_of_a_float_column(x: float) -> None:
    cell = pd.DataFrame({"v": [x]}).loc[0, "v"]
    got = as_float(cell)
    assert type(got) is float
    assert (math.isnan(got) and math.isnan(x)) or got == float(x)


@given(st.integers(-(2**62), 2**62))
def test_as_int_matches_int_for_cells_of_an_integer_column(n: int) -> None:
    frame = pd.DataFrame({"n": [n]})
    got = as_int(frame.loc[0, "n"])
    assert type(got) is int and got == n
    assert as_float(np.int64(n)) == float(n)


def test_conversion_errors_are_those_of_float_and_int() -> None:
    with pytest.raises(TypeError):
        as_float(pd.NA)
    with pytest.raises(ValueError):
        as_int(float("nan"))
    with pytest.raises(ValueError):
        as_float("twelve")
