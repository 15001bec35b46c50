"""Stored environments (download, check) and what the server says about itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from jobharness.backends.sandbox import Sandbox, validate_config
from robotlib._core.connections import UsesConnection
from robotlib.sandbox.connection import SandboxConnection


class EnvironmentKeywords(UsesConnection[SandboxConnection]):
    """Stored environments, server information and config validation."""

    @property
    def client(self) -> Sandbox:
        """The current sandbox connection."""
        return self.connection.client

    @keyword
    def download_sandbox_environment(self, uuid: str, destination: str) -> Path:
        """Download the stored environment ``uuid`` to ``destination``; return the path.

        If ``destination`` is an existing directory, or ends with ``/``, the
        archive is unpacked into it, links included, as the server saved it;
        a member that would be written outside it or through a link fails
        the keyword before anything is written. Otherwise the archive is
        saved as that ``.tar.gz`` file.

        | Download Sandbox Environment | ${result.environment} | ${OUTPUT DIR}/env/ |
        | Download Sandbox Environment | ${result.environment} | ${OUTPUT DIR}/env.tgz |
        """
        path = Path(destination)
        if path.is_dir() or destination.endswith(("/", os.sep)):
            target = self.client.extract(uuid, path)
            logger.info(f"unpacked sandbox environment {uuid} into {target}")
        else:
            target = self.client.download_to(uuid, path)
            logger.info(f"saved sandbox environment {uuid} as {target}")
        return target

    @keyword
    def download_sandbox_file(
        self,
        uuid: str,
        path: str,
        destination: Path | None = None,
        encoding: str = "UTF-8",
    ) -> str | bytes | Path:
        """Get the file ``path`` of the stored environment ``uuid``.

        With ``destination`` the file is saved there and its path returned;
        otherwise its content is returned, decoded with ``encoding``
        (``encoding=NONE`` returns bytes).

        | ${text}= | Download Sandbox File | ${uuid} | out/report.txt |
        | ${file}= | Download Sandbox File | ${uuid} | out/report.txt | ${OUTPUT DIR}/report.txt |
        """
        if destination is not None:
            return self.client.download_to(uuid, destination, path)
        data = self.client.download(uuid, path)
        return data if encoding.upper() == "NONE" else data.decode(encoding)

    @keyword
    def sandbox_environment_should_exist(self, uuid: str, path: str | None = None) -> int:
        """Fail unless the environment ``uuid`` (or the file ``path`` in it) is stored.

        Returns its size in bytes.

        | Sandbox Environment Should Exist | ${result.environment} |
        | Sandbox Environment Should Exist | ${result.environment} | data/input.txt |
        """
        size = self.client.check(uuid, path)
        if not size:
            what = f"file {path!r} in environment {uuid}" if path else f"environment {uuid}"
            raise AssertionError(f"sandbox has no {what} (or it is empty)")
        return size

    @keyword
    def sandbox_environment_should_not_exist(self, uuid: str, path: str | None = None) -> None:
        """Fail if the environment ``uuid`` (or the file ``path`` in it) is stored.

        | Sandbox Environment Should Not Exist | ${result.environment} | scratch.tmp |
        """
        size = self.client.check(uuid, path)
        if size:
            what = f"file {path!r} in environment {uuid}" if path else f"environment {uuid}"
            raise AssertionError(f"sandbox has {what} ({size} bytes)")

    # -- server information ------------------------------------------------------------

    @keyword
    def get_sandbox_specifications(self) -> dict[str, Any]:
        """Return the host's and the containers' specifications as a dictionary.

        | ${specs}= | Get Sandbox Specifications |
        | Should Be Equal As Integers | ${specs}[container][count] | 20 |
        """
        return self.client.specifications()

    @keyword
    def get_sandbox_usage(self) -> dict[str, Any]:
        """Return the host's current usage; the server samples it over about 2 seconds.

        | ${usage}= | Get Sandbox Usage |
        """
        return self.client.usage()

    @keyword
    def get_sandbox_libraries(self) -> dict[str, Any]:
        """Return the packages and binaries installed in the sandbox's containers.

        | ${libraries}= | Get Sandbox Libraries |
        """
        return self.client.libraries()

    @keyword
    def validate_sandbox_config(self, config: dict[str, Any]) -> None:
        """Fail if the sandbox would refuse or mishandle ``config``, naming the field.

        Nothing is sent. Catches what the server answers with 400, and its
        traps: extra keys in a command object, ``timeout: 0`` (no timeout at
        all) and a space before the ``-`` prefix.

        | Validate Sandbox Config | ${{{"commands": ["echo hi"]}}} |
        | Run Keyword And Expect Error | STARTS: commands[0].timeout: |
        | ... | Validate Sandbox Config | ${{{"commands": [{"command": "x", "timeout": 0}]}}} |
        """
        validate_config(config)
