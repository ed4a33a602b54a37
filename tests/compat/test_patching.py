"""The patching mechanism of hhcl.compat and the FastReID version check."""

from __future__ import annotations

import pickle
import sys
import types
import warnings
from importlib import metadata

import pytest
import torch

from hhcl import compat
from hhcl.compat import MISSING, FastReIDVersionWarning, Patch, check_fastreid_version, is_patched
from hhcl.compat.patching import resolve


def greet(name):
    """Say hello."""
    return f"hello {name}"


@pytest.fixture
def owner(monkeypatch) -> types.ModuleType:
    """A module holding ``greet`` and a class ``Greeter``, imported by name
    (``from hhcl_fake_owner import greet``) into the module ``hhcl_fake_alias``."""
    module = types.ModuleType("hhcl_fake_owner")
    module.greet = greet
    module.Greeter = type("Greeter", (), {"greet": lambda self: "hi"})
    alias = types.ModuleType("hhcl_fake_alias")
    alias.greet = greet
    monkeypatch.setitem(sys.modules, "hhcl_fake_owner", module)
    monkeypatch.setitem(sys.modules, "hhcl_fake_alias", alias)
    return module


def shouting(original):
    def greet(name):
        return original(name).upper()

    return greet


def test_applies_once_and_aliases_get_the_same_object(owner):
    made = []
    patch = Patch("hhcl_fake_owner", "greet", lambda original: made.append(original) or shouting(original),
                  aliases=("hhcl_fake_alias",))
    patch.apply()
    patched = owner.greet
    patch.apply()
    assert made == [greet]
    assert owner.greet is patched and sys.modules["hhcl_fake_alias"].greet is patched
    assert patched("you") == "HELLO YOU"
    assert patched.__wrapped__ is greet and is_patched(patched) and not is_patched(greet)
    assert (patched.__name__, patched.__doc__) == ("greet", "Say hello.")  # a closure takes the original's


def test_class_attribute_is_replaced(owner):
    original = owner.Greeter.greet
    Patch("hhcl_fake_owner.Greeter", "greet", lambda original: lambda self: "patched").apply()
    assert owner.Greeter().greet() == "patched"
    assert owner.Greeter.greet.__wrapped__ is original


def test_a_name_the_owner_lacks_is_an_error(owner):
    with pytest.raises(AttributeError, match="hhcl_fake_owner.Greeter has no attribute '__init__'"):
        Patch("hhcl_fake_owner.Greeter", "__init__", shouting).apply()  # inherited from object


def test_only_if_missing_leaves_an_existing_name(owner):
    owner.present = "mine"
    Patch("hhcl_fake_owner", "present", lambda missing: "theirs", only_if_missing=True).apply()
    assert owner.present == "mine"
    made = []
    patch = Patch("hhcl_fake_owner", "absent", lambda missing: made.append(missing) or "provided",
                  only_if_missing=True)
    patch.apply()
    patch.apply()
    assert owner.absent == "provided" and made == [MISSING]


def test_sys_modules_entry_is_provided_only_if_missing():
    name = "hhcl_fake_stand_in"
    patch = Patch("sys.modules", name, lambda missing: types.ModuleType(name), only_if_missing=True)
    try:
        patch.apply()
        stand_in = sys.modules[name]
        patch.apply()
        assert sys.modules[name] is stand_in
        assert __import__(name) is stand_in
    finally:
        sys.modules.pop(name, None)
    assert sys.modules["torch._six"].string_classes == (str, bytes)


def test_module_level_replacements_keep_their_name():
    """The distributed worker must stay importable, and so picklable, by its
    own name: spawned processes import it, and with it hhcl."""
    from hhcl.compat import distributed

    worker = sys.modules["fastreid.engine.launch"]._distributed_worker
    assert worker is distributed.distributed_worker
    assert (worker.__module__, worker.__name__) == ("hhcl.compat.distributed", "distributed_worker")
    assert pickle.loads(pickle.dumps(worker)) is worker
    assert worker.__wrapped__.__module__ == "fastreid.engine.launch"
    assert distributed.CpuAwareDDP.__wrapped__ is torch.nn.parallel.DistributedDataParallel


def test_resolve_dotted_paths():
    from fastreid.data.data_utils import DataLoaderX

    assert isinstance(resolve("fastreid.engine.launch"), types.ModuleType)  # the package re-exports a function
    assert resolve("fastreid.data.data_utils.DataLoaderX") is DataLoaderX
    assert resolve("sys.modules") is sys.modules
    with pytest.raises(ModuleNotFoundError):
        resolve("hhcl_no_such_module.name")


def test_apply_is_idempotent():
    from fastreid.solver import build

    patched = build.build_optimizer
    compat.apply()
    assert build.build_optimizer is patched
    assert build.build_optimizer.__wrapped__.__module__ == "fastreid.solver.build"


def test_expected_fastreid_version_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_fastreid_version() == compat.FASTREID_VERSION == "1.4.0"


def test_other_fastreid_version_warns(monkeypatch):
    monkeypatch.setattr(metadata, "version", lambda name: "1.3.0")
    with pytest.warns(FastReIDVersionWarning, match=r"FastReID 1\.3\.0 is installed.*written for FastReID 1\.4\.0"
                                                    r".*may not fit"):
        compat.apply()


def test_missing_fastreid_says_how_to_install(monkeypatch):
    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    with pytest.raises(ImportError, match=r"pip install --no-deps fastreid==1\.4\.0"):
        compat.apply()


def test_resolve_attributes_of_an_object_in_a_module():
    from fastreid.modeling.backbones import BACKBONE_REGISTRY

    assert resolve("fastreid.modeling.backbones.BACKBONE_REGISTRY._obj_map") is BACKBONE_REGISTRY._obj_map
    with pytest.raises(ModuleNotFoundError):  # a module that is missing, not an attribute
        resolve("hhcl_no_such_module.sub.name")
