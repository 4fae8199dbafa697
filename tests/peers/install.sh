#!/usr/bin/env bash
# The peer tier's oracles: the pinned framework releases whose loss code tests/peers/ runs.
# TRL comes with its dependencies (transformers, accelerate, datasets: test_trl_peer.py runs a
# real GRPOTrainer), torch pinned to the CPU build beside it. verl and OpenRLHF come without
# theirs (ray, vllm, deepspeed, ...: tests/peers/loaders.py stubs what their loss modules import
# of those); the light packages their loss code needs are installed here. Nothing here is a
# dependency of grpo_c.
set -euo pipefail
python -m pip install -q trl==1.16.0 torch==2.13.0
python -m pip install -q --no-deps verl==0.9.1 openrlhf==0.11.2 tensordict==0.15.3
python -m pip install -q omegaconf cloudpickle orjson pyvers
