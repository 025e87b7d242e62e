"""Running untrusted code (model-generated programs) in a sandbox.

Each call runs the code in a fresh process tree, isolated by the operating system, and
returns a :class:`SandboxResult`; nothing the code does raises in the evaluator.

How a run is isolated
---------------------
The evaluator starts a *launcher* (`_sandbox_launcher.py` run as a script by the evaluator's
interpreter, standard library only) in a new session. The launcher enters new namespaces,
forks a *supervisor* and waits for it at most ``wall_seconds``; the supervisor prepares the
filesystem and forks the *program* process, which sets its resource limits, drops its
privileges and ``exec``\\ s Python on the code. Using a launcher instead of a
``preexec_fn`` keeps the setup out of the (possibly multi-threaded) evaluator, where
Python documents ``preexec_fn`` as unsafe.

When the evaluator runs as root (the usual case in a container), every layer that the
kernel allows is applied, and the result's ``isolation`` names the ones that were:

``uid``
    The program runs under a fresh unprivileged uid/gid (one per run, from a range no
    account uses) with no supplementary groups, so it cannot signal or trace the
    evaluator, cannot read files that are not world-readable, and ``RLIMIT_NPROC`` counts
    only its own processes (runs in parallel do not share the budget).
``no-new-privileges``
    ``PR_SET_NO_NEW_PRIVS``: set-uid programs cannot raise its privileges.
``rlimits``
    CPU time, address space (memory), file size, processes and threads, open files and
    core dumps (none), from :class:`SandboxLimits`.
``pid-namespace``
    The supervisor is process 1 of a new PID namespace: the program sees only its own
    processes (not the evaluator's), and when the supervisor ends, on completion or on
    timeout, the kernel kills every process left in the namespace, including daemons
    that left the process group.
``network-namespace``
    A network namespace without interfaces (not even a loopback that is up): every
    connection fails with "Network is unreachable".
``mount-namespace``
    A private, read-only root: only ``/usr``, ``/bin``, ``/lib*``, ``/sbin`` (system
    programs and libraries, ``nosuid``), the interpreter's installation, ``/etc/ld.so.cache``
    and ``/etc/localtime``, ``/dev/{null,zero,full,random,urandom}``, a ``/proc`` of the
    sandbox's own PID namespace, the program at ``/sandbox/main.py`` and an empty
    working directory ``/sandbox/work`` (also ``/tmp``, ``$HOME`` and ``$TMPDIR``) on a
    tmpfs of ``disk_mb``. The evaluator's files, ``/root``, ``/home``, ``/tmp`` and the
    store do not exist there.
``ipc-namespace``, ``uts-namespace``
    No shared System V IPC objects or host name with the host.

If a namespace cannot be created (a container without ``CAP_SYS_ADMIN``), the run goes on
with the layers that remain, the missing ones are absent from ``isolation``, and:
without a network namespace a ``socket-guard`` prelude replaces ``socket.socket`` with a
class that refuses to be created (this stops ordinary Python code, not code that calls
the C library through ``ctypes``); without a mount namespace the working directory is a
fresh directory on disk, the program can read every world-readable file and ``disk_mb``
is not enforced; without a PID namespace leftover processes are killed by uid after the
run. The code never runs as root: if the uid cannot be dropped, the run fails with status
``"error"``.

When the evaluator is not root, it tries an unprivileged user namespace with PID,
network, IPC and UTS namespaces (``user-namespace``); the program then runs as the
evaluator's own user, so it can read and write whatever the evaluator can; it cannot
see or signal the evaluator's processes only thanks to the PID namespace. Without user
namespaces the remaining isolation is the resource limits, the process group and the
socket guard, and the code could harm the evaluator: run evaluations as root in a
container, or inside a virtual machine.

Residual risks (also as root): memory is limited per process, so the code can use up to
``max_processes * memory_mb``; CPU time is limited per process; kernel vulnerabilities
are out of scope; and the system directories listed above are readable.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Literal

from assay.errors import InputError

__all__ = ["SandboxLimits", "SandboxResult", "SandboxStatus", "check_program", "run_code"]

SandboxStatus = Literal["passed", "failed", "timeout", "memory", "crashed", "killed", "error"]
"""How a sandboxed run ended.

``"passed"``: exit status 0. ``"failed"``: a non-zero exit status (an exception, a failed
assertion, a syntax error, a refused file or network access). ``"timeout"``: the wall-time
or CPU-time limit was reached. ``"memory"``: the memory limit was reached (``MemoryError``).
``"crashed"``: killed by a fault signal (segmentation fault, abort). ``"killed"``: killed by
another signal. ``"error"``: the sandbox itself could not run the code (the code is not
to blame; the reason says why).
"""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed run.

    Parameters
    ----------
    cpu_seconds
        CPU time of each process (``RLIMIT_CPU``); SIGXCPU, then SIGKILL a second later.
    wall_seconds
        Wall-clock time of the program from its start; then everything is killed.
    memory_mb
        Address space of each process (``RLIMIT_AS``), in MiB.
    file_size_mb
        Largest file the program may write (``RLIMIT_FSIZE``), in MiB.
    disk_mb
        Size of the working directory (a tmpfs, when the mount namespace is available).
    max_processes
        Processes and threads the program's user may have at once (``RLIMIT_NPROC``),
        the program itself included.
    max_open_files
        Open file descriptors per process (``RLIMIT_NOFILE``).
    output_bytes
        Bytes of standard output, and separately of standard error, that are kept; the
        middle of a longer output is cut (the head and the tail are kept) and the result
        says ``truncated``. The program is not stopped for printing more.
    """

    cpu_seconds: int = 10
    wall_seconds: float = 15.0
    memory_mb: int = 512
    file_size_mb: int = 16
    disk_mb: int = 64
    max_processes: int = 8
    max_open_files: int = 256
    output_bytes: int = 65_536

    def __post_init__(self) -> None:
        for name in (
            "cpu_seconds",
            "memory_mb",
            "file_size_mb",
            "disk_mb",
            "max_processes",
            "max_open_files",
            "output_bytes",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(
                    f"the {name!r} parameter of SandboxLimits must be an integer >= 1; "
                    f"got {value!r}"
                )
        wall = self.wall_seconds
        if (
            isinstance(wall, bool)
            or not isinstance(wall, int | float)
            or not math.isfinite(wall)
            or wall <= 0
        ):
            raise InputError(
                f"the 'wall_seconds' parameter of SandboxLimits must be a finite number > 0; "
                f"got {wall!r}"
            )
        if self.max_open_files < 16:
            raise InputError(
                "the 'max_open_files' parameter of SandboxLimits must be >= 16 (Python "
                f"needs a few to start); got {self.max_open_files}"
            )


@dataclass(frozen=True)
class SandboxResult:
    """The outcome of one sandboxed run.

    Attributes
    ----------
    status
        How the run ended (see :data:`SandboxStatus`).
    reason
        Why, in words: the last line of the traceback, the limit that was reached, the
        signal, or what kept the sandbox from running the code. Empty when passed.
    returncode
        The program's exit status; minus the signal number when a signal killed it;
        ``None`` when it did not run or its end was not observed.
    stdout, stderr
        The program's output (decoded as UTF-8 with replacement), at most
        ``output_bytes`` of each, the middle cut out of a longer one.
    duration_s
        Wall-clock seconds of the whole call, sandbox setup included.
    isolation
        The isolation layers that were in effect (see the module documentation).
    truncated
        Whether stdout or stderr was cut.
    """

    status: SandboxStatus
    reason: str
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    isolation: tuple[str, ...]
    truncated: bool = False

    @property
    def passed(self) -> bool:
        """Whether the program exited with status 0."""
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-ready dictionary."""
        doc = asdict(self)
        doc["isolation"] = list(self.isolation)
        return doc


_DEFAULT_LIMITS = SandboxLimits()


def run_code(
    code: str, *, stdin: str = "", limits: SandboxLimits = _DEFAULT_LIMITS
) -> SandboxResult:
    """Run Python ``code`` in the sandbox and report how it ended.

    Parameters
    ----------
    code
        The program's source; it runs as ``__main__`` from ``/sandbox/main.py`` (or a
        file in the run's temporary directory without a mount namespace), with an empty
        working directory, ``PYTHONHASHSEED=0`` and no ``site`` (only the standard
        library is importable).
    stdin
        Text given to the program on its standard input.
    limits
        The limits of the run.

    Returns
    -------
    SandboxResult
        Never raises for anything the code does: every outcome is a status with a
        reason.

    Raises
    ------
    InputError
        When an argument has the wrong type.
    """
    for name, value in (("code", code), ("stdin", stdin)):
        if not isinstance(value, str):
            raise InputError(
                f"the {name!r} parameter of run_code must be a str; got {type(value).__name__}"
            )
    if not isinstance(limits, SandboxLimits):
        raise InputError(
            "the 'limits' parameter of run_code must be a SandboxLimits; "
            f"got {type(limits).__name__}"
        )
    started = time.perf_counter()
    if not sys.platform.startswith("linux"):
        return _error(started, f"the sandbox needs Linux; this is {sys.platform}")
    try:
        with _Workspace(code, limits) as ws:
            return ws.run(stdin.encode("utf-8", "surrogateescape"), started)
    except OSError as exc:
        return _error(started, f"the sandbox could not be set up: {exc}")


def check_program(
    program: str, test: str, entry_point: str, *, limits: SandboxLimits = _DEFAULT_LIMITS
) -> SandboxResult:
    """Run a HumanEval-style check: ``program``, then ``test``, then ``check(entry_point)``.

    Parameters
    ----------
    program
        The code under test (for HumanEval: the prompt followed by the completion).
    test
        Test code defining ``check(candidate)``, which raises when the candidate is wrong.
    entry_point
        Name of the function in ``program`` that ``check`` is called with.
    limits
        The limits of the run.

    Returns
    -------
    SandboxResult
        ``status == "passed"`` when every check passed.
    """
    for name, value in (("program", program), ("test", test), ("entry_point", entry_point)):
        if not isinstance(value, str):
            raise InputError(
                f"the {name!r} parameter of check_program must be a str; got {type(value).__name__}"
            )
    if not entry_point.isidentifier():
        raise InputError(
            "the 'entry_point' parameter of check_program must be a Python identifier; "
            f"got {entry_point!r}"
        )
    code = f"{program}\n{test}\n\ncheck({entry_point})\n"
    return run_code(code, limits=limits)


# ====================================================================== the evaluator side

#: uids handed to sandboxed programs: unused by accounts, one per concurrent run
_UID_BASE = 1_600_000_000
_UID_SPAN = 1 << 20
_uids_in_use: set[int] = set()
_uids_lock = threading.Lock()

#: namespaces the launcher tries to enter (tests remove some to exercise the fallbacks)
_NAMESPACES: tuple[str, ...] = ("mount", "pid", "net", "ipc", "uts")

#: seconds the launcher gives the supervisor to start the program
_SETUP_SECONDS = 20.0
#: the script that enters the sandbox (standard library only)
_LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sandbox_launcher.py")

_PROGRAM_FLAGS = ("-P", "-s", "-S", "-B", "-u")
_SIGNAL_FAULTS = frozenset(
    {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT, signal.SIGSYS}
)


def _error(started: float, reason: str) -> SandboxResult:
    return SandboxResult(
        status="error",
        reason=reason,
        returncode=None,
        stdout="",
        stderr="",
        duration_s=time.perf_counter() - started,
        isolation=(),
    )


class _Capped:
    """Keeps the head and the tail of a stream, ``cap`` bytes in all."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap - cap // 2
        self.tail_cap = cap // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        if not self.truncated:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", "replace")
        cut = self.total - len(self.head) - len(self.tail)
        head = self.head.decode("utf-8", "replace")
        tail = self.tail.decode("utf-8", "replace")
        return f"{head}\n[... {cut} bytes cut by the sandbox ...]\n{tail}"


class _Workspace:
    """The temporary directory, uid and launcher of one run; cleans up after itself."""

    def __init__(self, code: str, limits: SandboxLimits) -> None:
        self.code = code
        self.limits = limits
        self.privileged = os.geteuid() == 0
        self.uid: int | None = None
        self.base = ""

    def __enter__(self) -> _Workspace:
        if self.privileged:
            self.uid = _take_uid()
        try:
            self.base = tempfile.mkdtemp(prefix="assay-sandbox-")
        except OSError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.base:
            _remove_tree(self.base)
        if self.uid is not None:
            with _uids_lock:
                _uids_in_use.discard(self.uid)

    def run(self, stdin: bytes, started: float) -> SandboxResult:
        config = self._prepare()
        config_path = os.path.join(self.base, "config.json")
        with open(config_path, "x", encoding="utf-8") as fh:
            json.dump(config, fh)
        os.chmod(config_path, 0o600)
        out, err = _Capped(self.limits.output_bytes), _Capped(self.limits.output_bytes)
        backstop = time.monotonic() + self.limits.wall_seconds + _SETUP_SECONDS + 10.0
        with subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", _LAUNCHER, config_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=self.base,
            env={"PATH": "/usr/bin:/bin"},
            close_fds=True,
            start_new_session=True,
        ) as proc:
            try:
                finished = _communicate(proc, stdin, out, err, backstop)
            finally:
                _kill_group(proc)  # closing the pipes and waiting follow on leaving
        report = _read_report(config["status_path"])
        return _classify(report, finished, proc.returncode, out, err, self.limits, started)

    def _prepare(self) -> dict[str, Any]:
        base = self.base
        work = os.path.join(base, "work")
        os.mkdir(work, 0o700)
        os.mkdir(os.path.join(base, "root"), 0o755)
        program = os.path.join(base, "main.py")
        with open(program, "x", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(self.code)
        os.chmod(program, 0o644)
        if self.uid is not None:
            # the program reaches its files only when it has no private root; the other
            # files of this directory (config, status) stay readable by root only
            os.chmod(base, 0o711)
            os.chown(work, self.uid, self.uid)
        python = os.path.realpath(sys.executable)
        python_dirs = sorted(
            {
                os.path.realpath(sys.base_prefix),
                os.path.realpath(sys.base_exec_prefix),
                os.path.dirname(os.path.dirname(python)),
            }
        )
        return {
            "base": base,
            "work": work,
            "program": program,
            "status_path": os.path.join(base, "status.json"),
            "uid": self.uid,
            "namespaces": list(_NAMESPACES),
            "python": python,
            "python_dirs": python_dirs,
            "flags": list(_PROGRAM_FLAGS),
            "limits": asdict(self.limits),
            "setup_seconds": _SETUP_SECONDS,
        }


def _take_uid() -> int:
    with _uids_lock:
        while True:
            uid = _UID_BASE + secrets.randbelow(_UID_SPAN)
            if uid not in _uids_in_use:
                _uids_in_use.add(uid)
                return uid


def _remove_tree(base: str) -> None:
    root = os.path.join(base, "root")
    # the private root is mounted only inside the sandbox's mount namespace; should it
    # ever be visible here, deleting the tree would descend into the bound system
    # directories, so the run's directory is left behind instead
    if os.path.ismount(root):
        return
    shutil.rmtree(base, ignore_errors=True)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _communicate(
    proc: subprocess.Popen[bytes],
    stdin: bytes,
    out: _Capped,
    err: _Capped,
    deadline: float,
) -> bool:
    """Feed stdin and collect output until the launcher ends; False if the deadline hit."""
    if proc.stdin is None or proc.stdout is None or proc.stderr is None:
        raise OSError("the sandbox launcher has no pipes")
    readers = {proc.stdout.fileno(): out, proc.stderr.fileno(): err}
    poller = select.poll()
    for fd in readers:
        poller.register(fd, select.POLLIN)
    writer: int | None = None
    pending = memoryview(stdin)
    if pending:
        writer = proc.stdin.fileno()
        os.set_blocking(writer, False)
        poller.register(writer, select.POLLOUT)
    else:
        proc.stdin.close()
    ended_at: float | None = None
    while readers:
        now = time.monotonic()
        if ended_at is None and proc.poll() is not None:
            ended_at = now
        # once the launcher has ended, whatever still holds the pipes gets a moment
        limit = deadline if ended_at is None else min(deadline, ended_at + 1.0)
        if now >= limit:
            break
        for fd, _ in poller.poll(min(limit - now, 0.2) * 1000):
            if fd in readers:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    readers[fd].add(chunk)
                else:
                    poller.unregister(fd)
                    del readers[fd]
            elif fd == writer:
                try:
                    pending = pending[os.write(writer, pending[: 1 << 16]) :]
                except (BrokenPipeError, BlockingIOError):
                    pending = pending[:0]
                if not pending:
                    poller.unregister(writer)
                    proc.stdin.close()
                    writer = None
    if writer is not None:
        proc.stdin.close()
    if ended_at is None:
        try:  # the pipes closed first: the launcher is about to end
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
    return True


def _read_report(path: str) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as fh:
            report = json.load(fh)
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _classify(
    report: dict[str, Any] | None,
    finished: bool,
    launcher_rc: int | None,
    out: _Capped,
    err: _Capped,
    limits: SandboxLimits,
    started: float,
) -> SandboxResult:
    stdout, stderr = out.text(), err.text()
    isolation = tuple(report.get("isolation", ())) if report else ()
    returncode: int | None = None
    status: SandboxStatus
    if report is None or not finished:
        status = "error"
        if not finished:
            reason = "the sandbox launcher did not finish in time and was killed"
        else:
            reason = f"the sandbox launcher ended (status {launcher_rc}) without a report"
            if _last_line(stderr):
                reason += f": {_last_line(stderr)}"
    elif report.get("setup_error"):
        status, reason = "error", f"sandbox setup failed: {report['setup_error']}"
    elif report.get("timed_out"):
        status, reason = "timeout", f"wall-time limit of {limits.wall_seconds:g} s exceeded"
    elif report.get("signal") is not None:
        number = int(report["signal"])
        returncode = -number
        cpu = float(report.get("cpu_s") or 0.0)
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= limits.cpu_seconds):
            status = "timeout"
            reason = f"CPU-time limit of {limits.cpu_seconds} s exceeded"
        elif number in _SIGNAL_FAULTS:
            status, reason = "crashed", f"crashed with {_signal_name(number)}"
        else:
            status, reason = "killed", f"killed by {_signal_name(number)}"
    elif report.get("exit_code") is not None:
        returncode = int(report["exit_code"])
        last = _last_line(stderr)
        if returncode == 0:
            status, reason = "passed", ""
        elif last.startswith("MemoryError"):
            status = "memory"
            reason = f"memory limit of {limits.memory_mb} MiB exceeded ({last})"
        else:
            status = "failed"
            reason = f"exit status {returncode}" + (f": {last}" if last else "")
    else:
        status, reason = "error", "the sandbox supervisor ended without reporting the program"
    return SandboxResult(
        status=status,
        reason=reason,
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.perf_counter() - started,
        isolation=isolation,
        truncated=out.truncated or err.truncated,
    )
