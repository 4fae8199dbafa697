"""Command line: ``python -m grpo_c`` runs a short worked example of the whole path."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import grpo_c

    print(f"grpo_c {grpo_c.__version__}")
    for key, value in grpo_c.build_info().items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
