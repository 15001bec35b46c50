"""Terminals from pytest: ``terminal`` runs commands in the session's target (a private sshd
unless configured); ``terminal_session`` opens interactive shells closed at teardown."""


def test_hello(terminal):
    result = terminal().run("echo hello")
    assert (result.status, result.stdout) == (0, "hello\n")


def test_prompt(terminal_session):
    shell = terminal_session()
    shell.write_line('read -p "name? " name; echo "hi $name"')
    shell.read_until("name?")
    shell.write_line("pytest")
    assert "hi pytest" in shell.read_until_prompt()
