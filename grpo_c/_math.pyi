"""Type stub of the C extension grpo_c._math (see grpo_c.rewards.math for the documented API)."""

from typing import Sequence

import numpy as np
import numpy.typing as npt

def accuracy(completions: Sequence[str | bytes], solutions: Sequence[str | bytes], extract: int,
             after_think: int, strict_latex: bool, float_rel_tol: float,
             num_threads: int) -> npt.NDArray[np.float32]: ...
def parse(text: str | bytes, is_gold: bool, extract: int, after_think: int,
          strict_latex: bool) -> dict: ...
def equal(gold: str | bytes, pred: str | bytes, pred_is_completion: bool, extract: int,
          after_think: int, strict_latex: bool, float_rel_tol: float) -> int: ...
