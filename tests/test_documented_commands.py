"""Every command the documentation shows runs — cheaply.

Collected commands:

* README.md, indented code blocks: lines starting with ``python tools/``,
  ``python benchmarks/``, ``.venv/bin/python tools/``, ``.venv/bin/python
  benchmarks/`` or ``bash benchmarks/``, joined across trailing backslashes;
* README.md, inline code spans of such a command *with arguments*, the
  ``python`` optional (``tools/demo.py [--output logs/demo]``);
* configs/**/*.yml: the ``# Command: ...`` header lines.

A trailing ``# comment`` is dropped. Placeholders are handled so:

* ``CONFIG`` → ``configs/HHCL/synth.yml`` (a real config);
* ``[KEY VALUE ...]`` and any other bracketed group holding ``KEY``,
  ``VALUE`` or ``...`` → dropped; other ``[...]`` groups (optional
  arguments) → kept without the brackets;
* ``N`` → ``1`` and ``R`` → ``0`` (integers: epochs, machine rank);
  ``HOST_OF_RANK_0:PORT`` stays (a string to argparse);
* paths other than ``--config-file`` (weights ``logs/.../model_final.pth``,
  run folders ``logs/synth/...``, ``/path/to/crops``, ``path/to/crops``,
  output files) are neither checked nor opened: nothing here loads weights,
  reads data or writes outputs.

What each command must pass:

* every command: the script exists; its options parse with the tool's real
  argparse parser (``fastreid.engine.default_argument_parser`` for
  train_net.py; for the others the parser their ``main()`` builds, caught
  when it parses) — an unknown option or a bad value fails with the line;
  a script without argparse must be documented without arguments;
  ``bash`` scripts pass ``bash -n``;
* ``--config-file X`` (train_net.py, visualize.py, extract_features.py): X
  exists and loads with the command's ``KEY VALUE`` overrides through
  ``hhcl.engine.setup_cfg`` (an unknown key fails with the line);
* train_net.py: the model of that config builds on the CPU with
  ``MODEL.BACKBONE.PRETRAIN False`` (no training: the real datasets are not
  here; the synthetic configs are built the same way);
* once per script, not per command: ``--help`` runs in a subprocess (all in
  parallel) and shows every ``--option`` the documentation gives it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import re
import runpy
import shlex
import subprocess
import sys
from unittest import mock

import pytest

from .helpers import REPO

SCRIPT = r"(?:tools|benchmarks)/[\w.]+\.(?:py|sh)"
BLOCK_COMMAND = re.compile(rf"^ {{4,}}((?:(?:\.venv/bin/)?python|bash) {SCRIPT}.*)$")
INLINE_COMMAND = re.compile(rf"`((?:(?:\.venv/bin/)?python )?{SCRIPT} [^`]+)`")
CONFIG_COMMAND = re.compile(r"^#\s*Command:\s*(.+)$")
PLACEHOLDERS = {"CONFIG": "configs/HHCL/synth.yml", "N": "1", "R": "0"}
PLACEHOLDER_GROUP = {"KEY", "VALUE", "..."}


def collect() -> list[tuple[str, str]]:
    """(where, command) of every documented command, in document order."""
    commands = []
    lines = (REPO / "README.md").read_text().splitlines()
    index = 0
    while index < len(lines):
        line, where = lines[index], f"README.md:{index + 1}"
        match = BLOCK_COMMAND.match(line)
        if match:
            text = match.group(1)
            while text.rstrip().endswith("\\") and index + 1 < len(lines):
                index += 1
                text = text.rstrip()[:-1].rstrip() + " " + lines[index].strip()
            commands.append((where, text))
        else:
            commands += [(where, span) for span in INLINE_COMMAND.findall(line)]
        index += 1
    for config in sorted((REPO / "configs").rglob("*.yml")):
        for number, line in enumerate(config.read_text().splitlines(), 1):
            match = CONFIG_COMMAND.match(line)
            if match:
                commands.append((f"{config.relative_to(REPO)}:{number}", match.group(1)))
    return commands


COMMANDS = collect()


def split(command: str) -> tuple[str, list[str]]:
    """The script (relative to the repository) and its arguments, comment
    dropped and placeholders replaced (see the module docstring)."""
    tokens = shlex.split(command, comments=True)
    if tokens[0].endswith("python") or tokens[0] == "bash":
        tokens = tokens[1:]
    script, rest = tokens[0], tokens[1:]
    arguments, group = [], None
    for token in rest:
        if group is None and token.startswith("["):
            group, token = [], token[1:]
        if group is not None:
            closing = token.endswith("]")
            group.append(token.rstrip("]"))
            if closing:
                if not PLACEHOLDER_GROUP & set(group):
                    arguments += [t for t in group if t]
                group = None
            continue
        arguments.append(token)
    assert group is None, f"unclosed [ in {command!r}"
    return script, [PLACEHOLDERS.get(token, token) for token in arguments]


class _Parsed(Exception):
    pass


@functools.cache
def real_parser(script: str) -> argparse.ArgumentParser | None:
    """The argparse parser the script builds (None: it has none)."""
    path = REPO / script
    if script == "tools/train_net.py":
        from fastreid.engine import default_argument_parser
        return default_argument_parser()
    if "parse_args" not in path.read_text():
        return None
    captured = []

    def capture(parser, *args, **kwargs):
        captured.append(parser)
        raise _Parsed

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture), \
            mock.patch.object(sys, "argv", [str(path)]), mock.patch.object(sys, "path", [str(path.parent), *sys.path]):
        with contextlib.suppress(_Parsed):
            runpy.run_path(str(path), run_name="__main__")
    assert captured, f"{script} never parsed its arguments"
    return captured[0]


def parse(parser: argparse.ArgumentParser, arguments: list[str], where: str, command: str) -> argparse.Namespace:
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        try:
            return parser.parse_args(arguments)
        except SystemExit:
            pytest.fail(f"{where}: {command}\n  does not parse: {errors.getvalue().strip()}")


def load_config(namespace: argparse.Namespace, where: str, command: str):
    from hhcl.engine import setup_cfg

    if not (REPO / namespace.config_file).is_file():
        pytest.fail(f"{where}: {command}\n  config file {namespace.config_file} does not exist")
    namespace.config_file = str(REPO / namespace.config_file)
    try:
        return setup_cfg(namespace, for_run=False)
    except Exception as error:  # noqa: BLE001  (any failure names the line)
        pytest.fail(f"{where}: {command}\n  config does not load: {type(error).__name__}: {error}")


@functools.cache
def _build(config_dump: str) -> str:
    """Build once per distinct config; the model's class name."""
    import torch
    from fastreid.config import CfgNode

    from hhcl.engine import trainer_class

    cfg = CfgNode.load_cfg(config_dump)
    with torch.random.fork_rng():
        return type(trainer_class(cfg).build_model(cfg)).__name__


def build_model(cfg, where: str, command: str) -> str:
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.BACKBONE.PRETRAIN = False
    cfg.MODEL.DEVICE = "cpu"
    cfg.OUTPUT_DIR = ""
    try:
        return _build(cfg.dump())
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"{where}: {command}\n  model does not build: {type(error).__name__}: {error}")


def test_commands_are_collected():
    sources = {where.split(":")[0] for where, _ in COMMANDS}
    scripts = {split(command)[0] for _, command in COMMANDS}
    assert "README.md" in sources and "configs/HHCL/synth.yml" in sources
    assert {"tools/train_net.py", "tools/compare.py", "tools/visualize.py", "tools/extract_features.py",
            "tools/export_onnx.py", "tools/contact_sheet.py", "tools/demo.py"} <= scripts
    readme = [command for where, command in COMMANDS if where.startswith("README")]
    assert ("python tools/train_net.py --config-file configs/Baselines/synth_bagtricks_R18.yml "
            "DATASETS.SYNTH_TARGET.DIFFICULTY 0.8 DATASETS.SYNTH_TARGET.NUM_TRAIN_IDS 500") in readme  # joined


def test_placeholders_are_replaced():
    assert split("python tools/train_net.py --config-file CONFIG [KEY VALUE ...]") == \
        ("tools/train_net.py", ["--config-file", "configs/HHCL/synth.yml"])
    assert split("tools/demo.py [--output logs/demo] [--hhcl-epochs N]  # a comment") == \
        ("tools/demo.py", ["--output", "logs/demo", "--hhcl-epochs", "1"])
    assert split("python tools/train_net.py --machine-rank R")[1] == ["--machine-rank", "0"]


@pytest.mark.parametrize("where, command", COMMANDS, ids=[where for where, _ in COMMANDS])
def test_documented_command(where, command):
    script, arguments = split(command)
    path = REPO / script
    if not path.is_file():
        pytest.fail(f"{where}: {command}\n  {script} does not exist")
    if script.endswith(".sh"):
        result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"{where}: {command}\n  {result.stderr}"
        return
    parser = real_parser(script)
    if parser is None:
        assert not arguments, f"{where}: {command}\n  {script} takes no arguments"
        return
    namespace = parse(parser, arguments, where, command)
    if getattr(namespace, "config_file", None):
        cfg = load_config(namespace, where, command)
        if script == "tools/train_net.py":
            assert build_model(cfg, where, command)


HELP_DRIVER = """
import contextlib, io, json, os, runpy, sys
results = {}
for script in sys.argv[1:]:
    sys.argv, stdout = [script, "--help"], io.StringIO()
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        with contextlib.redirect_stdout(stdout):
            runpy.run_path(script, run_name="__main__")
        code = "returned without exiting"
    except SystemExit as exit:
        code = exit.code or 0
    except Exception as error:
        code = repr(error)
    sys.path.pop(0)
    results[script] = [code, stdout.getvalue()]
print("@@HELP@@" + json.dumps(results))
"""


def test_every_documented_script_shows_help_with_its_options():
    """``SCRIPT --help`` of each documented script, once per script, all in
    one subprocess (one interpreter start; each script run as ``__main__``);
    every ``--option`` the documentation uses appears in its help."""
    options: dict[str, set[str]] = {}
    for _, command in COMMANDS:
        script, arguments = split(command)
        if script.endswith(".py") and real_parser(script) is not None:
            options.setdefault(script, set()).update(a.split("=")[0] for a in arguments if a.startswith("--"))
    result = subprocess.run([sys.executable, "-c", HELP_DRIVER, *sorted(options)], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0 and "@@HELP@@" in result.stdout, result.stderr[-3000:]
    helps = json.loads(result.stdout.split("@@HELP@@")[-1])
    failures = []
    for script, (code, out) in helps.items():
        if code != 0 or "usage:" not in out:
            failures.append(f"{script} --help failed ({code})")
            continue
        failures += [f"{script} --help does not show {option}" for option in sorted(options[script])
                     if not re.search(rf"{re.escape(option)}(?![\w-])", out)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("command, message", [
    ("python tools/train_net.py --config-file configs/HHCL/nope.yml", "config file configs/HHCL/nope.yml does not"),
    ("python tools/train_net.py --config-file configs/HHCL/synth.yml MODEL.NOPE 1", "Non-existent key: MODEL.NOPE"),
    ("python tools/compare.py logs/a --nope", "unrecognized arguments: --nope"),
    ("python tools/visualize.py --config-file CONFIG --top-k N --nope 1", "unrecognized arguments: --nope"),
    ("python tools/nope.py --help", "tools/nope.py does not exist"),
    (".venv/bin/python benchmarks/bench_eval.py --fast", "takes no arguments"),
])
def test_a_broken_command_fails_with_its_line(command, message):
    with pytest.raises(BaseException, match=re.escape(message)) as failure:
        test_documented_command("README.md:1", command)
    assert "README.md:1" in str(failure.value) and type(failure.value).__name__ in ("Failed", "AssertionError")
