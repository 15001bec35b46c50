"""The agent's source: Python 3.8 syntax, the standard library only, a bootstrap line that
carries neither the source nor a secret, and constants the controller agrees with."""

from __future__ import annotations

import ast
import shlex
import sys
from pathlib import Path

from jobharness.backends.terminal import agent, wire
from jobharness.backends.terminal.agentstart import agent_source
from jobharness.backends.terminal.agentstream import bootstrap_line

SOURCE = Path(agent.__file__).read_text(encoding="utf-8")


def test_the_agent_parses_as_python_3_8() -> None:
    ast.parse(SOURCE, feature_version=(3, 8))


def test_the_agent_imports_only_the_standard_library() -> None:
    imported = set()
    for node in ast.walk(ast.parse(SOURCE)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports in the agent"
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
    assert "jobharness" not in imported


def test_the_bootstrap_is_one_short_line_without_the_source() -> None:
    assert "\n" not in agent.BOOTSTRAP
    assert len(agent.BOOTSTRAP) < 400
    assert "class Agent" not in agent.BOOTSTRAP
    ast.parse(agent.BOOTSTRAP, feature_version=(3, 8))
    line = bootstrap_line("python3")
    assert shlex.split(line) == ["exec", "python3", "-u", "-c", agent.BOOTSTRAP]
    assert "'" not in agent.BOOTSTRAP and "$" not in agent.BOOTSTRAP and "!" not in agent.BOOTSTRAP


def test_the_ready_marker_cannot_come_from_an_echo_of_the_line() -> None:
    assert agent.READY not in bootstrap_line().encode()


def test_what_is_sent_is_the_module_itself() -> None:
    assert agent_source() == Path(agent.__file__).read_bytes()


def test_controller_and_agent_agree_on_the_frame_kinds() -> None:
    assert set(wire.KIND_NAMES) == set(agent.KINDS)
    assert wire.HEADER is agent.HEADER and wire.MAGIC == agent.MAGIC


def test_the_agent_module_never_uses_pickle_or_marshal() -> None:
    names = {node.id for node in ast.walk(ast.parse(SOURCE)) if isinstance(node, ast.Name)}
    assert not {"pickle", "marshal", "shelve"} & names
