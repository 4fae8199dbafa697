"""Command line: ``python -m grpo_c`` runs a short worked example of the whole numeric path."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from grpo_c._example import main as example

    return example()


if __name__ == "__main__":
    sys.exit(main())
