"""The peer tier: grpo_c against the frameworks' own installed code (see README, "Exactness").

Runs when the pinned releases are installed (tests/peers/install.sh, which the README's test
command runs: trl==1.16.0 with its dependencies; verl==0.9.1 and openrlhf==0.11.2 with --no-deps,
plus the light packages their loss modules import); each module is skipped otherwise.
tests/peers/loaders.py imports verl's and OpenRLHF's loss modules with the heavy stacks stubbed.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))          # loaders
sys.path.insert(0, str(Path(__file__).parent.parent))   # frameworks, the restatements
