"""Stub of the grpo_c._text extension (csrc/python/_text.c): text rewards over str batches."""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

SCRIPT_COUNT: int

def format_reward(texts: Sequence[str | None], mode: int = 0, prefilled: bool = False,
                  think_open: str | None = None, think_close: str | None = None,
                  answer_open: str | None = None, answer_close: str | None = None,
                  code_language: str | None = None,
                  languages: Sequence[str | None] | None = None,
                  num_threads: int | None = None) -> npt.NDArray[np.float32]: ...
def tag_count(texts: Sequence[str | None], think_open: str | None = None,
              think_close: str | None = None, answer_open: str | None = None,
              answer_close: str | None = None,
              num_threads: int | None = None) -> npt.NDArray[np.float32]: ...
def reasoning_steps(texts: Sequence[str | None], steps_for_full: float = 3.0,
                    num_threads: int | None = None
                    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]: ...
def repetition_words(texts: Sequence[str | None], ngram: int, max_penalty: float,
                     fold_ascii_case: bool = False,
                     num_threads: int | None = None) -> npt.NDArray[np.float32]: ...
def repetition_ids(ids: npt.ArrayLike, offsets: npt.ArrayLike, ngram: int, max_penalty: float,
                   num_threads: int | None = None) -> npt.NDArray[np.float32]: ...
def language_consistency(
    texts: Sequence[str | None], target_scripts: int, region: int = 0,
    think_open: str | None = None, think_close: str | None = None,
    continua_weight: float = 1.0, min_units: float = 5.0, threshold: float = 0.0,
    ignore_acronyms: bool = False, one_letter_words: int = 0, num_threads: int | None = None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64], npt.NDArray[np.float64],
           npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
