"""The plugin's registries: entries under a name of their own, clear errors."""

import pytest

from hhcl.modeling.memory import MEMORY_REGISTRY
from hhcl.registry import Registry, UnregisteredNameError


def test_register_under_a_name_or_the_objects_own():
    registry = Registry("THINGS", config_key="A.KEY")

    @registry.register(name="first")
    def build_first():
        return 1

    class Second:
        pass

    registry.register(Second)
    assert registry.get("first") is build_first and registry.get("Second") is Second
    assert registry.names() == ["first", "Second"]
    with pytest.raises(AssertionError, match="already registered"):
        registry.register(build_first, name="first")


def test_unknown_name_is_a_value_and_key_error_naming_the_choices():
    registry = Registry("THINGS", config_key="A.KEY")
    registry.register(len, name="one")
    with pytest.raises(UnregisteredNameError) as raised:
        registry.get("two")
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, KeyError)
    assert str(raised.value) == "Unknown A.KEY 'two'; registered in THINGS: one"


def test_memory_modes():
    assert MEMORY_REGISTRY.names() == ["mean", "hard", "hard_mean", "hybrid"]
