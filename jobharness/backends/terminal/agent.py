"""The remote Python agent: one dependency-free module that runs on the target (Python 3.8+).

It is never installed there. The controller starts ``python3 -u -c BOOTSTRAP``
on a channel without a pty (an ssh exec channel, a local pipe), or types that
line into a terminal at the end of a route that needs one (sudo, a CLI): the
bootstrap then puts the terminal in raw mode first. The bootstrap writes
:data:`READY`, reads ``<length>\\n<source>`` (this module), runs it as the
module ``jobharness_agent`` and calls :func:`main`.

From then on both directions carry frames: :data:`HEADER` (magic byte, kind,
request id, payload length) and a payload. Structured payloads are a 4-byte
JSON length, JSON text, then raw bytes the JSON points into (no base64).
Only data travels: primitives, lists, tuples, sets, dicts, bytes, references
to objects kept here (``{"$ref": id}``) and errors (type, message, traceback).

The thread that reads a call runs it; when a call runs longer than
:data:`HANDOVER`, a standby thread takes over the reading (heartbeats are
answered by whoever reads), so no call waits for a free thread and quick
calls cost no thread switch. Frames go to a copy of file descriptor 1 taken
at start; prints (``sys.stdout``, fd 1, child processes) go to standard
error, or to a buffer on a terminal. The agent ends at end of input, when
its parent goes, or after ``idle_exit`` s without a frame, and then ends its
process group. It must not import jobharness nor anything outside the
standard library, and must keep parsing as Python 3.8.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import linecache
import operator
import os
import re
import signal
import struct
import sys
import threading
import time
import traceback
import types
from collections import deque
from typing import Any, Callable  # noqa: UP035 (the agent runs on 3.8)

PROTOCOL = 1
MAGIC = 0xA7
HEADER = struct.Struct(">BBII")
"""Every frame starts with: magic byte, kind, request id, payload length."""
JSON_LEN = struct.Struct(">I")
MAX_PAYLOAD = 1 << 30
READY = b"\x00jobharness-agent-ready\n"
HELLO, CONFIG, CALL, RESULT, ERROR, PING, PONG, RELEASE, CANCEL, BYE = range(1, 11)
KINDS = frozenset(range(1, 11))

BASIC = (type(None), bool, int, float, str, bytes)
"""Types the ``auto`` mode returns by value; anything else goes back as a reference."""
MAX_DEPTH, BIG_INT_BITS, READ_SIZE = 100, 8192, 1 << 18
MAX_THREADS, HANDOVER, POLL_BUSY, POLL_IDLE = 64, 0.005, 0.002, 0.05
"""A call running HANDOVER s hands the reading over; the standby looks every POLL_* s."""
NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")

BOOTSTRAP = (
    "import os,sys;f=sys.stdin.buffer;t=os.isatty(0);"
    't and __import__("tty").setraw(0);'
    'os.write(1,b"\\x00jobharness-agent-ready\\n");'
    'n=int(f.readline());m=type(sys)("jobharness_agent");m.__file__="<jobharness-agent>";'
    "sys.modules[m.__name__]=m;exec(compile(f.read(n),m.__file__,"
    '"exec"),m.__dict__);m.main(t)'
)
"""The ``-c`` program that starts the agent: no source of the agent, nothing secret."""

_BUILTINS = ("getattr", "setattr", "delattr", "hasattr", "len", "iter", "next", "repr", "str")
_OPERATORS = ("getitem", "setitem", "delitem", "contains")
FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{name: getattr(builtins, name) for name in (*_BUILTINS, "bool", "callable", "dir")},
    **{name: getattr(operator, name) for name in _OPERATORS},
    "identity": lambda value: value,
}
"""What ``{"$fn": name}`` names: the operations proxies need, without any source text."""


class Table:
    """Objects the controller holds references to, by id, counted per reference sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.objects: dict[int, list[Any]] = {}
        self.by_identity: dict[int, int] = {}
        self.next_id = 1

    def ref(self, obj: Any) -> int:
        """The id of ``obj`` (new or known), counting one more reference to it."""
        with self.lock:
            hid = self.by_identity.get(id(obj))
            if hid is None:
                hid, self.next_id = self.next_id, self.next_id + 1
                self.objects[hid] = [obj, 0]
                self.by_identity[id(obj)] = hid
            self.objects[hid][1] += 1
            return hid

    def __getitem__(self, hid: int) -> Any:
        entry = self.objects.get(hid)
        if entry is None:
            raise LookupError(f"no remote object #{hid}: it was released or never existed")
        return entry[0]

    def release(self, ids: list[int]) -> None:
        """Drop one reference per id; objects with none left are forgotten."""
        dropped = []
        with self.lock:
            for hid in ids:
                entry = self.objects.get(hid)
                if entry is not None:
                    entry[1] -= 1
                    if entry[1] <= 0:
                        del self.objects[hid]
                        self.by_identity.pop(id(entry[0]), None)
                        dropped.append(entry[0])
        del dropped  # any __del__ runs here, outside the lock


def spec_of(key: Any) -> dict[str, list[str]]:
    """``dir(key)`` split into callable and other names: how proxies know what a call is."""
    callables: list[str] = []
    others: list[str] = []
    try:
        names = dir(key)
    except Exception:
        names = []
    for name in names:
        try:
            (callables if callable(getattr(key, name)) else others).append(name)
        except Exception:
            others.append(name)
    return {"callables": callables, "others": others}


def spec_key(obj: Any) -> Any:
    """Whose ``dir()`` describes ``obj``: a module or class itself, else its type."""
    return obj if isinstance(obj, (type, types.ModuleType)) else type(obj)


class Blobs(list):  # type: ignore[type-arg]
    """The raw parts of a payload, and their total size."""

    size = 0


class Codec:
    """Values to JSON-ready data and raw blobs, and back; references go through the table."""

    def __init__(self, table: Table, namespace: dict[str, Any]) -> None:
        self.table, self.ns = table, namespace
        self.lock = threading.Lock()
        self.specs: dict[int, tuple[Any, int]] = {}
        self.local = threading.local()
        self.decoder = json.JSONDecoder(object_hook=self.hook)
        self.encoder = json.JSONEncoder(
            separators=(",", ":"), allow_nan=False, check_circular=False
        )

    def pack(self, value: Any, mode: str) -> list[bytes]:
        """The payload parts of ``value`` in mode value, auto, ref, basic or none."""
        blobs = Blobs()
        if mode == "none":
            value, mode = None, "value"
        elif mode == "basic":  # [is it a basic value, the value or None]
            value, mode = ([True, value] if type(value) in BASIC else [False, None]), "value"
        data = self.encoder.encode(self.encode(value, mode, blobs, 0, set())).encode("ascii")
        return [JSON_LEN.pack(len(data)), data, *blobs]

    def encode(self, x: Any, mode: str, blobs: Blobs, depth: int, seen: set[int]) -> Any:
        """``x`` as JSON-ready data (the tags are listed in the controller's ``wire`` module)."""
        kind = type(x)
        if mode == "ref":
            return self.reference(x)
        if x is None or kind is bool or kind is str:
            return x
        if kind is int:
            return x if x.bit_length() < BIG_INT_BITS else {"$ih": format(x, "x")}
        if kind is float:
            return x if x - x == 0 else {"$f": repr(x)}
        if kind is bytes or (mode == "value" and isinstance(x, (bytes, bytearray, memoryview))):
            blobs.append(bytes(x))
            blobs.size += len(blobs[-1])
            return {"$b": [blobs.size - len(blobs[-1]), len(blobs[-1])]}
        if mode == "auto" or not isinstance(
            x, (str, int, float, list, tuple, dict, set, frozenset)
        ):
            return self.reference(x)
        if isinstance(x, str):  # subclasses of the plain types: their plain value
            return str.__str__(x)
        if isinstance(x, (int, float)):
            plain = int.__int__(x) if isinstance(x, int) else float.__float__(x)
            return self.encode(plain, mode, blobs, depth, seen)
        if id(x) in seen or depth >= MAX_DEPTH:
            return self.reference(x)
        seen.add(id(x))
        try:
            args = (mode, blobs, depth + 1, seen)
            if isinstance(x, dict):
                if all(type(k) is str and not k.startswith("$") for k in x):
                    return {k: self.encode(v, *args) for k, v in x.items()}
                return {
                    "$map": [[self.encode(k, *args), self.encode(v, *args)] for k, v in x.items()]
                }
            items = [self.encode(item, *args) for item in x]
            if isinstance(x, list):
                return items
            tag = "$t" if isinstance(x, tuple) else "$fset" if isinstance(x, frozenset) else "$set"
            return {tag: items}
        finally:
            seen.discard(id(x))

    def reference(self, obj: Any) -> dict[str, Any]:
        """``{"$ref": id, "type": name, "spec": n}``, with the spec itself the first time."""
        kind = type(obj)
        ref = {"$ref": self.table.ref(obj), "type": f"{kind.__module__}.{kind.__qualname__}"}
        key = spec_key(obj)
        with self.lock:
            known = self.specs.get(id(key))
            if known is None:
                known = self.specs[id(key)] = (key, len(self.specs) + 1)
                ref["specdef"] = spec_of(key)
        ref["spec"] = known[1]
        return ref

    def unpack(self, payload: bytes) -> Any:
        """A request's data, with references and names turned into the objects."""
        (size,) = JSON_LEN.unpack_from(payload)
        self.local.raw = memoryview(payload)[JSON_LEN.size + size :]
        return self.decoder.decode(payload[JSON_LEN.size : JSON_LEN.size + size].decode("utf-8"))

    def hook(self, d: dict[str, Any]) -> Any:
        """A JSON object as what it stands for (a tag) or as itself."""
        key = "$ref" if "$ref" in d else "$name" if "$name" in d else next(iter(d), "")
        if (len(d) > 1 and key not in ("$ref", "$name")) or key[:1] != "$":
            return d
        value = d[key]
        if key == "$b":
            return bytes(self.local.raw[value[0] : value[0] + value[1]])
        if key in ("$t", "$set", "$fset", "$map"):
            return {"$t": tuple, "$set": set, "$fset": frozenset, "$map": dict}[key](value)
        if key == "$f":
            return float(value)
        if key == "$ih":
            return int(value, 16)
        if key == "$fn":
            return FUNCTIONS[value]
        if key not in ("$ref", "$name"):
            raise ValueError(f"unknown tag {key!r} in a request")
        obj = self.table[value] if key == "$ref" else resolve(value, self.ns)
        for name in d.get("path", ()):
            obj = getattr(obj, name)
        return obj


_CODE: dict[str, tuple[Any, Any]] = {}


def compiled(source: str, names_only: bool = False) -> tuple[Any, Any]:
    """``(statements, expression)`` code for ``source``: an expression, or statements whose
    last one may be an expression (its value is the result). Kept for reuse."""
    found = _CODE.get(source)
    if found is None:
        name = f"<run_python {len(_CODE) + 1}>"
        try:
            found = (None, compile(source, name, "eval"))
        except SyntaxError:
            if names_only:
                raise
            tree = ast.parse(source, name, "exec")
            last, code = tree.body[-1] if tree.body else None, None
            if isinstance(last, ast.Expr):
                tree.body.pop()
                code = compile(ast.Expression(last.value), name, "eval")
            found = (compile(tree, name, "exec"), code)
        if len(_CODE) < 1024:
            _CODE[source] = found
            linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return found


def resolve(name: str, ns: dict[str, Any]) -> Any:
    """The object a dotted name (or else an expression) stands for in ``ns``."""
    if not NAME.match(name):
        return eval(compiled(name, names_only=True)[1], ns)
    first, *rest = name.split(".")
    if first in ns:
        obj = ns[first]
    elif hasattr(builtins, first):
        obj = getattr(builtins, first)
    else:
        raise NameError(f"name {first!r} is not defined on the target")
    for part in rest:
        obj = getattr(obj, part)
    return obj


class Agent:
    """The agent: its streams, table, namespace, reading threads and liveness settings."""

    def __init__(self, tty: bool) -> None:
        self.in_fd, self.out_fd, self.tty = os.dup(0), os.dup(1), tty
        self.output: deque[bytes] = deque(maxlen=256)
        os.dup2(os.open(os.devnull, os.O_RDWR), 0)
        if tty:  # the terminal carries the frames: prints go to a buffer
            read_end, write_end = os.pipe()
            os.dup2(write_end, 1)
            os.dup2(write_end, 2)
            threading.Thread(target=self.capture, args=(read_end,), daemon=True).start()
        else:
            os.dup2(2, 1)
        self.table = Table()
        self.ns: dict[str, Any] = {"__name__": "__jobharness__", "_jh_objects": self.table}
        self.codec = Codec(self.table, self.ns)
        self.wlock = threading.Lock()
        self.mu = threading.Lock()  # guards owner, busy_since, threads and standby
        self.owner = threading.get_ident()  # the thread that reads frames
        self.busy_since = 0.0  # when the owner started running a call (0: it reads)
        self.threads, self.standby = 1, False
        self.calls: deque[tuple[int, bytes]] = deque()
        self.cancelled: set[int] = set()
        self.buffer = bytearray()
        self.interval, self.idle_exit, self.parent = 0.5, 60.0, os.getppid()
        self.last_rx = self.next_check = time.monotonic()

    def capture(self, fd: int) -> None:
        """Keep what is printed while the frames use the terminal."""
        for data in iter(lambda: os.read(fd, 65536), b""):
            self.output.append(data)

    def send(self, kind: int, rid: int, parts: list[bytes], wait: bool = True) -> None:
        """Write one frame; with ``wait`` false, only when nobody else is writing."""
        if not self.wlock.acquire(wait):
            return
        try:
            header = HEADER.pack(MAGIC, kind, rid, sum(map(len, parts)))
            view = memoryview(b"".join([header, *parts]))
            while view:
                view = view[os.write(self.out_fd, view) :]
        except OSError:
            self.stop()
        finally:
            self.wlock.release()

    # -- threads ------------------------------------------------------------------------

    def run(self) -> None:
        """Say hello, then serve until the end."""
        hello = {"protocol": PROTOCOL, "python": list(sys.version_info[:3]), "tty": self.tty}
        hello.update(pid=os.getpid(), executable=sys.executable, cwd=os.getcwd())
        self.send(HELLO, 0, self.codec.pack(hello, "value"))
        self.spawn()
        self.lead()
        while True:  # the main thread never ends: the agent ends by stop()
            self.stand_by()

    def lead(self) -> None:
        """Own the reading: read a call, run it, again, until another thread takes over."""
        me = threading.get_ident()
        while True:
            rid, payload = self.read_call()
            with self.mu:
                self.busy_since = time.monotonic()
            self.handle(rid, payload)
            with self.mu:
                if self.owner != me:
                    return
                self.busy_since = 0.0

    def stand_by(self) -> None:
        """Watch the reader; take over the reading when its call runs long, then lead."""
        while True:
            time.sleep(POLL_BUSY if time.monotonic() - self.last_rx < 1.0 else POLL_IDLE)
            if time.monotonic() >= self.next_check:
                self.next_check = time.monotonic() + min(0.25, self.interval / 2)
                self.check()
            with self.mu:
                if self.busy_since and time.monotonic() - self.busy_since >= HANDOVER:
                    self.owner, self.busy_since, self.standby = threading.get_ident(), 0.0, False
                    break
        self.spawn()
        self.lead()

    def spawn(self) -> None:
        """Start a standby thread unless there is one (or too many threads)."""
        with self.mu:
            if self.standby or self.threads >= MAX_THREADS:
                return
            self.standby, self.threads = True, self.threads + 1
        threading.Thread(target=self.worker, daemon=True).start()

    def worker(self) -> None:
        """A thread's life: stand by and lead; after a long call, stand by again or end."""
        self.stand_by()
        while True:
            with self.mu:
                if self.standby:
                    self.threads -= 1
                    return
                self.standby = True
            self.stand_by()

    # -- reading ------------------------------------------------------------------------

    def read_call(self) -> tuple[int, bytes]:
        """Read frames (answering pings, releases...) until a call is there.

        The read blocks: the standby thread keeps the time (pings, lifelines).
        """
        while not self.calls:
            data = os.read(self.in_fd, READ_SIZE)
            if not data:
                self.stop()
            self.last_rx = time.monotonic()
            if not self.buffer and len(data) >= HEADER.size:  # the usual case: one whole frame
                magic, kind, rid, size = HEADER.unpack_from(data)
                if magic == MAGIC and kind in KINDS and len(data) == HEADER.size + size:
                    self.dispatch(kind, rid, data[HEADER.size :])
                    continue
            self.buffer += data
            self.frames()
        return self.calls.popleft()

    def check(self) -> None:
        """Heartbeat and lifelines: ping a quiet controller; end when it or the parent is gone."""
        quiet = time.monotonic() - self.last_rx
        if quiet > self.idle_exit or os.getppid() != self.parent:
            self.stop()
        if quiet > 2 * self.interval:
            self.send(PING, 0, [], wait=False)

    def frames(self) -> None:
        """Act on every whole frame at the start of the buffer; keep the rest for later."""
        buffer = self.buffer
        while len(buffer) >= HEADER.size:
            magic, kind, rid, size = HEADER.unpack_from(buffer)
            if magic != MAGIC or kind not in KINDS or size > MAX_PAYLOAD:
                self.stop()
            end = HEADER.size + size
            if len(buffer) < end:
                return
            payload = bytes(buffer[HEADER.size : end])
            del buffer[:end]
            self.dispatch(kind, rid, payload)

    def dispatch(self, kind: int, rid: int, payload: bytes) -> None:
        """Act on one frame from the controller (a call waits for its thread)."""
        if kind == CALL:
            self.calls.append((rid, payload))
        elif kind == PING:
            self.send(PONG, rid, [], wait=False)
        elif kind == RELEASE:
            self.table.release(json.loads(payload.decode("ascii")))
        elif kind == CANCEL:
            self.cancelled.add(rid)
        elif kind == CONFIG:
            config = json.loads(payload.decode("ascii"))
            self.interval = float(config.get("interval", self.interval))
            self.idle_exit = float(config.get("idle_exit", self.idle_exit))
        elif kind == BYE:
            self.stop()

    # -- requests -----------------------------------------------------------------------

    def handle(self, rid: int, payload: bytes) -> None:
        """Run one request and send its result or its error (not when cancelled)."""
        try:
            request = self.codec.unpack(payload)
            value = getattr(self, "op_" + request["op"])(request)
            kind, parts = RESULT, None
            if rid not in self.cancelled:
                parts = self.codec.pack(value, request.get("ret", "value"))
        except BaseException as exc:  # the user's SystemExit too: the agent stays up
            kind, parts = ERROR, self.error(exc)
        if rid in self.cancelled:
            self.cancelled.discard(rid)
        elif parts is not None:
            self.send(kind, rid, parts)

    def error(self, exc: BaseException) -> list[bytes]:
        """An error as data: type, first builtin base, message and the remote traceback text."""
        kind = type(exc)
        base = next((c.__name__ for c in kind.__mro__ if c.__module__ == "builtins"), "Exception")
        text = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
        info = {"type": kind.__qualname__, "module": kind.__module__, "builtin": base}
        info.update(message=str(exc), traceback=text)
        return self.codec.pack(info, "value")

    def op_eval(self, request: dict[str, Any]) -> Any:
        """Run source text (the explicit escape hatch); bind its value to ``name`` if given."""
        statements, expression = compiled(request["src"])
        if statements is not None:
            exec(statements, self.ns)
        value = eval(expression, self.ns) if expression is not None else None
        name = request.get("name")
        if name and NAME.match(name) and "." not in name:
            self.ns[name] = value
        elif name:
            self.ns["_jh_value"] = value
            exec(compile(f"{name} = _jh_value", "<assign>", "exec"), self.ns)
        return value

    def op_call(self, request: dict[str, Any]) -> Any:
        """Call ``obj`` (its path was followed while decoding) with ``args`` and ``kwargs``."""
        return request["obj"](*request.get("args", ()), **request.get("kwargs", {}))

    def op_get(self, request: dict[str, Any]) -> Any:
        """The object itself (its path was followed while decoding)."""
        return request["obj"]

    def op_spec(self, request: dict[str, Any]) -> Any:
        """The spec of ``obj`` and whether it is callable."""
        return {"spec": spec_of(spec_key(request["obj"])), "callable": callable(request["obj"])}

    def op_output(self, request: dict[str, Any]) -> bytes:
        """What was printed since the last call, when on a terminal (the last 256 writes)."""
        return b"".join(self.output.popleft() for _ in range(len(self.output)))

    def op_module(self, request: dict[str, Any]) -> None:
        """Make module ``name`` from source text sent by the controller, bind it here."""
        module = types.ModuleType(request["name"])
        module.__file__ = request.get("file") or f"<{request['name']}>"
        code = compile(request["src"], module.__file__, "exec")
        sys.modules[module.__name__] = module
        exec(code, module.__dict__)
        self.ns[module.__name__] = module

    def op_run(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run a shell line in its own process group; its status and outputs, in one reply.

        At ``timeout`` the group gets SIGTERM, and SIGKILL ``grace`` s later.
        """
        import subprocess

        pipe = subprocess.PIPE
        process = subprocess.Popen(
            [request.get("shell") or "/bin/sh", "-c", request["cmd"]],
            stdin=pipe,
            stdout=pipe,
            stderr=pipe,
            start_new_session=True,
        )
        timed_out = False
        try:
            out, err = process.communicate(request.get("input") or b"", request.get("timeout"))
        except subprocess.TimeoutExpired:
            timed_out = True
            for sig, wait in ((signal.SIGTERM, request.get("grace", 5.0)), (signal.SIGKILL, None)):
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, sig)
                try:
                    out, err = process.communicate(None, wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        reply = {"status": process.returncode, "stdout": out, "stderr": err}
        reply.update(timed_out=timed_out, pgid=process.pid)
        return reply

    def op_read(self, request: dict[str, Any]) -> bytes:
        """Up to ``size`` bytes of file ``path`` from ``offset`` (sent raw after the JSON)."""
        with open(request["path"], "rb") as stream:
            stream.seek(request.get("offset", 0))
            return stream.read(request["size"])

    def op_write(self, request: dict[str, Any]) -> int:
        """Write ``data`` to file ``path`` (new, or appended with ``append``); its size now."""
        path = request["path"]
        with open(path, "ab" if request.get("append") else "wb") as stream:
            stream.write(request["data"])
        if request.get("mode") is not None:
            os.chmod(path, request["mode"])
        return os.stat(path).st_size

    def stop(self) -> Any:
        """End now, with the process group when the agent leads it (SIGTERM reaches us too)."""
        try:
            if os.getpgrp() == os.getpid():
                os.killpg(0, signal.SIGTERM)
        finally:
            os._exit(0)


RUNNING: Agent | None = None


def main(tty: bool = False) -> None:
    """Serve frames on this process's standard input and output until the end."""
    global RUNNING
    RUNNING = Agent(tty)
    RUNNING.run()
