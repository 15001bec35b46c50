"""Passwords never show: not in reprs, errors, logs, process arguments or environments."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from jobharness.backends.terminal import AuthRefused, SshHop, Terminal, su
from jobharness.backends.terminal.protocol import ssh_config
from jobharness.targets import Target

from .helpers import all_command_lines, eventually


def test_no_password_in_reprs_or_descriptions(password_hop: SshHop, sshd_target: Target) -> None:
    password = str(password_hop.password)
    hop = su("root", password)
    terminal = Terminal([password_hop, hop])
    shown = [
        repr(password_hop),
        str(password_hop),
        password_hop.describe(),
        repr(hop),
        repr(hop.answers),
        repr(terminal.route),
        str(terminal.route),
        repr(terminal),
        repr(terminal.plan),
        ssh_config((password_hop,)),
        sshd_target.describe(),
        repr(sshd_target),
        str(sshd_target.shown()),
    ]
    for text in shown:
        assert password not in text, text


def test_no_password_on_any_command_line_or_in_any_environment(
    key_hop: SshHop,
    password_hop: SshHop,
    sshd_target: Target,
    sshd_terminal_factory: Callable[..., Terminal],
) -> None:
    password = str(password_hop.password)
    by_password = sshd_terminal_factory(password_hop)
    through_su = sshd_terminal_factory(key_hop, su(str(password_hop.user), password))
    jobs = [by_password.start("sleep 300"), through_su.start("sleep 300")]
    eventually(lambda: all(job.pgid for job in jobs))
    try:
        assert password not in all_command_lines()
    finally:
        for job in jobs:
            job.cancel()
    master = by_password.master
    assert master is not None
    assert password not in master.log_tail()
    assert password not in Path(sshd_target.info["log_file"]).read_text(errors="replace")


def test_no_password_in_errors(
    key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Callable[..., Terminal]
) -> None:
    wrong = "wrong-" + str(password_hop.password)
    with pytest.raises(AuthRefused) as by_ssh:
        sshd_terminal_factory(dataclasses.replace(password_hop, password=wrong)).open()
    with pytest.raises(AuthRefused) as by_su:
        sshd_terminal_factory(key_hop, su(str(password_hop.user), wrong)).run("true")
    for caught in (by_ssh, by_su):
        assert wrong not in str(caught.value) and wrong not in repr(caught.value)


def test_a_command_echoing_a_secret_is_masked_in_its_error(
    key_hop: SshHop, password_hop: SshHop, sshd_terminal_factory: Callable[..., Terminal]
) -> None:
    password = str(password_hop.password)
    terminal = sshd_terminal_factory(key_hop, su(str(password_hop.user), password))
    with pytest.raises(Exception) as caught:
        terminal.run(f"echo {password}; exit 3").check()
    assert password not in str(caught.value)
