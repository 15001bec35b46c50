"""The WSGI app: the real sandbox's routes, methods, status codes and bodies.

Routing is werkzeug's: every route needs its trailing slash (without it, a
plain 404 and no redirect), UUIDs must be lowercase and hyphenated, a wrong
method gets an empty 405 with ``Allow``, OPTIONS an empty 200 with ``Allow``,
and HEAD works wherever GET does (same headers, no body). Served as Django's
``runserver`` serves (``--runserver``), a HEAD reply carries the body the
view made, as there: all but the downloads, whose HEAD views make none.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from jobharness.servers.sandbox import archives, host, libraries
from jobharness.servers.sandbox.config import load_config, parse_rest
from jobharness.servers.sandbox.executor import Executor
from jobharness.servers.sandbox.options import ServerOptions
from jobharness.servers.sandbox.responses import (
    AppError,
    ServerFault,
    attachment,
    html_page,
    json_response,
    method_not_allowed,
    options_response,
    text_error,
)
from jobharness.servers.sandbox.storage import UUID_PATTERN, EnvironmentStore

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

FORM_MEMORY_LIMIT = 2_621_440  # the real server's 2.5 MiB for the non-file fields
FORM_PARTS_LIMIT = 1000
BODY_OVERHEAD = FORM_MEMORY_LIMIT + 64 * 1024  # the form fields and multipart framing


class LowerUUIDConverter(BaseConverter):
    """A lowercase, hyphenated, 36-character UUID (uppercase ones do not match)."""

    regex = UUID_PATTERN


class MemberConverter(BaseConverter):
    """An archive member name: anything, slashes included, up to the route's last ``/``."""

    regex = ".+"
    part_isolating = False


class SandboxRequest(Request):
    """A request whose form limits are the real server's (uploaded files are not limited)."""

    max_form_memory_size = FORM_MEMORY_LIMIT
    max_form_parts = FORM_PARTS_LIMIT


def _rules() -> Iterable[Rule]:
    read = ["GET", "OPTIONS"]  # werkzeug adds HEAD to every GET rule
    yield Rule("/environments/<uuid:env>/", endpoint="environment", methods=read)
    yield Rule("/files/<uuid:env>/<member:path>/", endpoint="file", methods=read)
    yield Rule("/specifications/", endpoint="specifications", methods=read)
    yield Rule("/usages/", endpoint="usages", methods=read)
    yield Rule("/libraries/", endpoint="libraries", methods=read)
    yield Rule("/execute/", endpoint="execute", methods=["POST", "OPTIONS"])


def _form_too_large(request: Request) -> bool:
    """True for a url-encoded body over the limit (werkzeug checks only multipart fields)."""
    urlencoded = request.mimetype == "application/x-www-form-urlencoded"
    return urlencoded and (request.content_length or 0) > FORM_MEMORY_LIMIT


def _body_too_large(request: Request) -> bool:
    """True when the whole body is over the request's size limit (not one form field)."""
    limit = request.max_content_length
    length = request.content_length
    return limit is not None and (length is None or length > limit)


def _is_download(response: Response) -> bool:
    """True for an environment or file download: their HEAD views make no body."""
    return response.status_code == 200 and "Content-Disposition" in response.headers


def no_environment(name: object) -> AppError:
    """The 404 for an environment that is not stored."""
    return AppError(404, f"No environment with UUID '{name}' found")


class SandboxApp:
    """The embedded sandbox server as a WSGI callable."""

    def __init__(self, options: ServerOptions, work_root: Path) -> None:
        if options.environments_dir is None:
            raise ValueError("the environments directory must be settled (with_data_dir)")
        self.options = options
        self.work_root = work_root
        self.store = EnvironmentStore(options.environments_dir.resolve(), options.expiration)
        self.executor = Executor(options, self.store, work_root)
        self.url_map = Map(
            list(_rules()),
            strict_slashes=True,
            merge_slashes=False,
            converters={"uuid": LowerUUIDConverter, "member": MemberConverter},
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = SandboxRequest(environ)
        # an upload over the archive limit is refused while it is read, not stored first
        request.max_content_length = self.options.max_archive_bytes + BODY_OVERHEAD
        response = self.dispatch(request)
        if self.options.runserver and request.method == "HEAD" and not _is_download(response):
            environ = {**environ, "REQUEST_METHOD": "GET"}  # so werkzeug keeps the body
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route ``request`` and turn every failure into the real server's answer."""
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            rule, args = adapter.match(return_rule=True)
        except (NotFound, RequestRedirect):
            return html_page(404)
        except MethodNotAllowed as exc:
            return method_not_allowed(exc.valid_methods or ())
        if request.method == "OPTIONS":
            return options_response(rule.methods or ())
        try:
            return getattr(self, f"_{rule.endpoint}")(request, **args)  # type: ignore[no-any-return]
        except AppError as exc:
            return text_error(exc.status, exc.message)
        except ServerFault as exc:
            log.error("500 on %s %s: %s", request.method, request.path, exc)
            return html_page(500)
        except Exception:
            log.exception("500 on %s %s", request.method, request.path)
            return html_page(500)

    # -- endpoints ------------------------------------------------------------------------------

    def _environment(self, request: Request, env: str) -> Response:
        path = self.store.find(env)
        if path is None:
            raise no_environment(env)
        return attachment(path.read_bytes(), "application/gzip", f"{env}.tgz")

    def _file(self, request: Request, env: str, path: str) -> Response:
        archive = self.store.find(env)
        if archive is None:
            raise no_environment(env)
        data = archives.member_bytes(archive, path)
        if data is None:
            raise AppError(404, f"The file '{path}' could not be found in environment '{env}'")
        return attachment(data, "application/octet-stream", os.path.basename(path))

    def _specifications(self, request: Request) -> Response:
        return json_response(host.specifications(self.options, self.work_root))

    def _usages(self, request: Request) -> Response:
        interval = self.options.usage_interval
        return json_response(host.usages(interval, self.executor.slots.in_use))

    def _libraries(self, request: Request) -> Response:
        return json_response(libraries.libraries())

    def _execute(self, request: Request) -> Response:
        if _form_too_large(request):
            return html_page(400)
        try:
            configs, uploads = request.form.getlist("config"), request.files.getlist("environment")
        except RequestEntityTooLarge:
            if _body_too_large(request):
                raise AppError(
                    413,
                    "The environment archive is too large: the request is more than "
                    f"{request.max_content_length} bytes (the server's --max-archive-bytes "
                    "and the form fields)",
                ) from None
            return html_page(400)
        config = load_config(configs[-1] if configs else None)
        upload = self._read_upload(uploads[-1]) if uploads else None
        stored = None
        if config.get("environment") is not None:
            stored = self.store.find(config["environment"])
            if stored is None:
                raise no_environment(config["environment"])
        # With a stored environment the real server merges (and so reads) the upload first.
        members = self._members(upload, stored) if stored is not None else None
        parsed = parse_rest(config, self.options.execute_timeout)
        with self.executor.slots.acquire():
            if members is None:
                members = self._members(upload, None)
            return json_response(self.executor.execute(members, parsed))

    def _read_upload(self, upload: FileStorage) -> bytes:
        """The uploaded archive, read no further than the size limit."""
        limit = self.options.max_archive_bytes
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise AppError(
                413,
                f"The environment archive is too large: more than {limit} bytes "
                "(the server's --max-archive-bytes)",
            )
        return data

    def _members(self, upload: bytes | None, stored: Path | None) -> list[archives.Member]:
        limits = self.options.archive_limits
        try:
            uploaded = archives.read_members(upload, limits) if upload is not None else []
            base = archives.read_members(stored.read_bytes(), limits) if stored is not None else []
        except archives.TooLarge as exc:
            raise AppError(413, str(exc)) from exc
        except archives.BadArchive as exc:
            raise ServerFault(str(exc)) from exc
        members = archives.merge(uploaded, base)
        if len(members) > limits.members:
            raise AppError(
                413,
                f"The environment is too large: the upload and the stored environment hold "
                f"{len(members)} members together, more than {limits.members}",
            )
        try:
            archives.check_members(members)
        except archives.UnsafeMember as exc:
            raise AppError(400, str(exc)) from exc
        return members
