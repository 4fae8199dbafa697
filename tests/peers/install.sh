#!/usr/bin/env bash
# The peer tier's oracles: the pinned framework releases whose loss code tests/peers/ runs.
# verl and OpenRLHF come without their dependencies (ray, vllm, deepspeed, transformers, ...:
# tests/peers/loaders.py stubs what their loss modules import of those); the light packages
# their loss code needs are installed here. Nothing here is a dependency of grpo_c.
set -euo pipefail
python -m pip install -q --no-deps verl==0.9.1 openrlhf==0.11.2 tensordict==0.15.3
python -m pip install -q omegaconf cloudpickle orjson pyvers
