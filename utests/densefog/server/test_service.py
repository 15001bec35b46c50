"""The service's start-up: databases (SQLite, MariaDB, a DSN kept off the command line), apps,
access keys, debug mode, state kept across restarts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobharness.backends.densefog import AccessKeyInvalid, ResourceNotBelongsToProject
from jobharness.backends.densefog.client import DensefogClient
from jobharness.backends.densefog.target import DENSEFOG_TARGET, densefog_client
from jobharness.errors import EmbeddedServerError
from jobharness.servers.base import EmbeddedServer
from jobharness.servers.densefog.mariadb import PrivateMariaDB
from jobharness.targets import Target
from pytest_plugin._common import open_target

from ..conftest import FAST, needs_mariadb
from ..helpers import unique


def test_a_dsn_with_a_password_is_refused_on_the_command_line() -> None:
    server = EmbeddedServer("densefog", ["--db", "mysql://u:secretpw@127.0.0.1:1/x"])
    with pytest.raises(EmbeddedServerError) as caught:
        server.start()
    assert "must not be on the command line" in str(caught.value)


@needs_mariadb
def test_a_dsn_with_a_password_reaches_the_service_in_a_private_file(
    tmp_path: Path, pytestconfig: pytest.Config
) -> None:
    """A private mariadbd of the test's own, its DSN given as a setting; state kept on restart."""
    with PrivateMariaDB(tmp_path / "mariadb") as mariadb:
        mariadb.start()
        dsn = mariadb.create_database("kept", user="keeper")
        assert dsn.password
        with open_target(pytestconfig, DENSEFOG_TARGET, db=dsn.text, **FAST) as target:
            server = target.server
            assert server is not None
            assert dsn.password not in " ".join(server.command)
            dsn_file = Path(server.command[server.command.index("--db-file") + 1])
            assert oct(dsn_file.stat().st_mode & 0o777) == "0o600"
            assert dsn.password not in target.describe() and dsn.password not in repr(target)
            with densefog_client(target) as client:
                made = client.create_resources("instance", count=1, name=unique("kept"))
                made.resources.wait(30, status="active")
            restarted = target.restart("densefog")  # on another port, the same database
            with DensefogClient(restarted.url, job_table=restarted.info["job_table"]) as client:
                assert client.resources("instance", made.ids).refresh() == {made.ids[0]: "active"}
                assert made.job is not None and client.job(made.job.id).wait(30).ok


def test_the_data_dir_keeps_the_state(tmp_path: Path) -> None:
    args = ["--data-dir", str(tmp_path / "data"), "--worker-tick", "0.1"]
    with EmbeddedServer("densefog", args) as server, DensefogClient(server.url) as client:
        ids = client.create_resources("instance", count=1).ids
    with EmbeddedServer("densefog", args) as server, DensefogClient(server.url) as client:
        assert client.resources("instance", ids).wait(30) == {ids[0]: "active"}


def test_access_keys_scope_resources_to_projects(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("alice:alice-secret\nbob:bob-secret\n")
    args = ["--access-keys-file", str(keys), "--worker-tick", "0.1"]
    with EmbeddedServer("densefog", args) as server:
        alice = DensefogClient(server.url, "X-Le-Key: alice; X-Le-Secret: alice-secret")
        bob = DensefogClient(server.url, {"X-Le-Key": "bob", "X-Le-Secret": "bob-secret"})
        nobody = DensefogClient(server.url, "X-Le-Key: alice; X-Le-Secret: wrong")
        made = alice.create_resources("instance", count=1)
        made.resources.wait(30)
        with pytest.raises(ResourceNotBelongsToProject) as caught:
            bob.call("DeleteInstances", instanceIds=made.ids)
        assert caught.value.resource_id == made.ids[0]
        assert bob.describe("instance", made.ids) == {}
        with pytest.raises(AccessKeyInvalid):
            nobody.call("DescribeInstances")
        assert "alice-secret" not in repr(alice)
        for client in (alice, bob, nobody):
            client.close()


def test_debug_adds_the_traceback(densefog_server: Target) -> None:
    from ..helpers import APP

    with (
        EmbeddedServer("densefog", ["--debug", "--app", str(APP)]) as server,
        DensefogClient(server.url) as client,
    ):
        envelope = client.envelope("Crash")
        bad_format = client.envelope("CreateInstances", {"count": "x"})
    assert (
        envelope.code == 5000
        and "RuntimeError: the handler crashed" in envelope.data["exceptionStr"]
    )
    assert bad_format.code == 4110 and "exceptionStr" not in bad_format.data


def test_an_app_that_cannot_be_loaded_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedServerError, match="cannot import it"):
        EmbeddedServer("densefog", ["--app", "no_such_module_here"]).start()


def test_the_dsn_can_come_from_the_environment(tmp_path: Path) -> None:
    env = {"JOBHARNESS_DENSEFOG_DB": f"sqlite:///{tmp_path}/from-env.db"}
    with EmbeddedServer("densefog", env=env) as server:
        assert server.info["db"] == f"sqlite:///{tmp_path}/from-env.db"
    assert (tmp_path / "from-env.db").is_file()
    assert "JOBHARNESS_DENSEFOG_DB" not in os.environ
