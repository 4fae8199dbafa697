"""Imports the peers' loss modules without their heavy stacks.

verl's and OpenRLHF's package __init__ files pull in ray, vllm, deepspeed, transformers and
peft; their loss code needs none of them. Those packages' own __init__ files are skipped (the
package is registered bare, with its real path) and each heavy import they reach is replaced
by a stub module whose every attribute is a do-nothing class. The stubs are listed in STUBBED.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
import types

import pytest

# the heavy modules the loss code reaches; anything else missing is an error
HEAVY = {"ray", "transformers", "codetiming", "deepspeed", "peft", "flash_attn", "vllm",
         "megatron", "liger_kernel"}
STUBBED: set[str] = set()


def _bare_package(name: str) -> None:
    """Registers package `name` at its real location without running its __init__."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(name)
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    sys.modules[name] = module


def _placeholder(attr: str) -> type:
    if attr.startswith("__"):   # __file__, __spec__, ...: what tools probe modules for
        raise AttributeError(attr)
    return type(attr, (), {"__init__": lambda self, *a, **k: None})


def _stub(name: str) -> None:
    module = types.ModuleType(name)
    module.__path__ = []
    module.__getattr__ = _placeholder   # PEP 562: `from heavy import Anything` works
    sys.modules[name] = module
    STUBBED.add(name)
    parent = name.rpartition(".")[0]
    if parent and parent not in sys.modules:
        _stub(parent)


def _import(name: str, bare: tuple[str, ...]):
    """Imports `name` with the heavy modules it reaches stubbed; the stubs leave sys.modules
    afterwards (the imported code keeps its references), so that code importing the real
    packages later (TRL's accelerate probing for deepspeed) does not find them."""
    for package in bare:
        if package not in sys.modules:
            _bare_package(package)
    before = set(STUBBED)
    try:
        while True:
            try:
                return importlib.import_module(name)
            except ModuleNotFoundError as exc:
                root = (exc.name or "").split(".")[0]
                if root not in HEAVY or exc.name in sys.modules:
                    raise
                _stub(exc.name)
    finally:
        for stub in STUBBED - before:
            sys.modules.pop(stub, None)


def verl():
    """(core_algos, losses): verl.trainer.ppo.core_algos and verl.workers.utils.losses."""
    core_algos = _import("verl.trainer.ppo.core_algos", ("verl",))
    losses = _import("verl.workers.utils.losses", ("verl", "verl.utils.dataset"))
    return core_algos, losses


def openrlhf():
    """(loss, utils): openrlhf.models.loss and openrlhf.models.utils."""
    loss = _import("openrlhf.models.loss", ("openrlhf", "openrlhf.models"))
    return loss, sys.modules["openrlhf.models.utils"]


PINNED = {"verl": "0.9.1", "openrlhf": "0.11.2", "trl": "1.16.0"}


def require_pinned(distribution: str) -> None:
    """Skips the calling test module unless the pinned release of `distribution` is installed."""
    pytest.importorskip("torch")
    try:
        found = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        found = None
    if found != PINNED[distribution]:
        pytest.skip(f"the peer tier needs {distribution}=={PINNED[distribution]} (tests/peers/install.sh), "
                    f"found {found}", allow_module_level=True)
