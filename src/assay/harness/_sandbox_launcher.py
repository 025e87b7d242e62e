"""The launcher side of the sandbox (:mod:`assay.harness.sandbox`).

This file runs as a script (``python -I -S -B _sandbox_launcher.py CONFIG``), as root or
as the evaluator's user, and in the supervisor and program processes it forks: it uses
the standard library only, and no threads. It enters the namespaces, builds the
read-only root, applies the limits, starts the program, and reports back on a pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import sys
import time
from typing import Any

_CLONE = {
    "mount": 0x00020000,
    "uts": 0x04000000,
    "ipc": 0x08000000,
    "user": 0x10000000,
    "pid": 0x20000000,
    "net": 0x40000000,
}
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38
_SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
_DEVICES = ("null", "zero", "full", "random", "urandom")

_SOCKET_GUARD = """\
import socket as _socket_module, _socket, sys, runpy
class _NoNetwork(_socket.socket):
    def __init__(self, *args, **kwargs):
        raise PermissionError(1, "network access is disabled in the assay sandbox")
_socket_module.socket = _socket.socket = _NoNetwork
del _socket_module, _socket, _NoNetwork
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


class _Libc:
    """The few system calls the standard library lacks (Python 3.11)."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(None, use_errno=True)

    def _check(self, result: int, what: str) -> None:
        if result != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"{what}: {os.strerror(errno)}")

    def unshare(self, flags: int) -> bool:
        return int(self.lib.unshare(ctypes.c_int(flags))) == 0

    def mount(
        self,
        source: str | None,
        target: str,
        fstype: str | None,
        flags: int,
        data: str | None = None,
    ) -> None:
        def enc(value: str | None) -> bytes | None:
            return None if value is None else os.fsencode(value)

        result = self.lib.mount(
            enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)
        )
        self._check(int(result), f"mount {target}")

    def prctl(self, option: int, value: int) -> None:
        result = self.lib.prctl(
            ctypes.c_int(option),
            ctypes.c_ulong(value),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
        self._check(int(result), f"prctl {option}")


def _launch(config_path: str) -> None:
    """The launcher: namespaces, the supervisor, the wall-time limit, the report."""
    with open(config_path, encoding="utf-8") as fh:
        cfg = json.load(fh)
    report: dict[str, Any] = {
        "isolation": [],
        "setup_error": None,
        "timed_out": False,
        "exit_code": None,
        "signal": None,
        "cpu_s": None,
    }
    try:
        _supervise(cfg, report)
    except Exception as exc:  # reported, never raised: the evaluator reads the report
        report["setup_error"] = f"{type(exc).__name__}: {exc}"
    tmp = cfg["status_path"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report, fh)
    os.replace(tmp, cfg["status_path"])


def _enter_namespaces(libc: _Libc, cfg: dict[str, Any]) -> list[str]:
    wanted = [name for name in cfg["namespaces"] if name in _CLONE]
    if cfg["uid"] is None:
        # not root: an unprivileged user namespace (no private root: mounting the system
        # directories read-only there is not portable), mapping only our own ids
        names = [n for n in wanted if n != "mount"]
        flags = _CLONE["user"]
        for name in names:
            flags |= _CLONE[name]
        if not libc.unshare(flags):
            return []
        uid, gid = os.getuid(), os.getgid()
        for path, text in (
            ("/proc/self/setgroups", "deny"),
            ("/proc/self/uid_map", f"{uid} {uid} 1"),
            ("/proc/self/gid_map", f"{gid} {gid} 1"),
        ):
            with open(path, "w", encoding="ascii") as fh:
                fh.write(text)
        return ["user", *names]
    applied = []
    for name in wanted:
        if not libc.unshare(_CLONE[name]):
            continue
        if name == "mount":
            # without private propagation, our mounts could appear on the host
            try:
                libc.mount(None, "/", None, _MS_REC | _MS_PRIVATE)
            except OSError:
                continue
        applied.append(name)
    return applied


def _supervise(cfg: dict[str, Any], report: dict[str, Any]) -> None:
    libc = _Libc()
    namespaces = _enter_namespaces(libc, cfg)
    isolation = ["rlimits", "no-new-privileges"]
    if cfg["uid"] is not None:
        isolation.append("uid")
    isolation += [f"{'network' if name == 'net' else name}-namespace" for name in namespaces]
    if "net" not in namespaces:
        isolation.append("socket-guard")
    report["isolation"] = isolation
    nproc = cfg["limits"]["max_processes"]
    if cfg["uid"] is None:
        # RLIMIT_NPROC counts all processes of the user: those of a new user namespace
        # (kernel >= 5.14: launcher, supervisor, program), otherwise all the user's
        nproc += 2 if "user" in namespaces else _count_tasks(os.getuid())
    reports_r, reports_w = os.pipe()
    supervisor = os.fork()
    if supervisor == 0:  # the supervisor: process 1 of the PID namespace when there is one
        os.close(reports_r)
        try:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            _run_supervisor(libc, cfg, namespaces, nproc, reports_w)
        except BaseException as exc:
            _send(reports_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(0)
    os.close(reports_w)
    messages = _Messages(reports_r)
    try:
        first = messages.next(float(cfg["setup_seconds"]))
        if first is None or "setup_error" in first:
            report["setup_error"] = (
                first["setup_error"]
                if first
                else "the sandbox supervisor did not start the program in time"
            )
            return
        final = messages.next(float(cfg["limits"]["wall_seconds"]))
        if final is None and not messages.eof:
            report["timed_out"] = True
        elif final is None:
            report["setup_error"] = "the sandbox supervisor ended without reporting"
        else:
            report.update(final)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(supervisor, signal.SIGKILL)
        os.waitpid(supervisor, 0)
        if cfg["uid"] is not None and "pid" not in namespaces:
            _kill_user(cfg["uid"])


def _run_supervisor(
    libc: _Libc, cfg: dict[str, Any], namespaces: list[str], nproc: int, reports: int
) -> None:
    if "mount" in namespaces:
        _build_root(libc, cfg, "pid" in namespaces)
        program, work = "/sandbox/main.py", "/sandbox/work"
    else:
        program, work = cfg["program"], cfg["work"]
    argv = [cfg["python"], *cfg["flags"]]
    if "net" in namespaces:
        argv.append(program)
    else:
        argv += ["-c", _SOCKET_GUARD, program]
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": work,
        "TMPDIR": work,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
    }
    errors_r, errors_w = os.pipe()  # close-on-exec: EOF without data means exec worked
    me = os.getpid()
    child = os.fork()
    if child == 0:
        os.close(errors_r)
        os.close(reports)
        try:
            _start_program(libc, cfg, nproc, me, work, argv, env)
        except BaseException as exc:
            os.write(errors_w, f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(127)
    os.close(errors_w)
    failure = b""
    while chunk := os.read(errors_r, 4096):
        failure += chunk
    os.close(errors_r)
    if failure:
        os.waitpid(child, 0)
        message = "cannot start the program: " + failure.decode("utf-8", "replace")
        if "mount" not in namespaces and "Permission denied" in message:
            message += (
                " (without a mount namespace the sandbox user must be able to read the "
                "interpreter's installation)"
            )
        _send(reports, {"setup_error": message})
        return
    _send(reports, {"started": True})
    while True:  # as process 1, also reap the orphans the program leaves
        pid, status, usage = os.wait4(-1, 0)
        if pid == child:
            break
    done: dict[str, Any] = {"cpu_s": usage.ru_utime + usage.ru_stime}
    if os.WIFSIGNALED(status):
        done["signal"] = os.WTERMSIG(status)
    else:
        done["exit_code"] = os.WEXITSTATUS(status)
    _send(reports, done)


def _start_program(
    libc: _Libc,
    cfg: dict[str, Any],
    nproc: int,
    supervisor: int,
    work: str,
    argv: list[str],
    env: dict[str, str],
) -> None:
    limits = cfg["limits"]
    mib = 1 << 20
    cpu = int(limits["cpu_seconds"])
    for which, value in (
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (limits["memory_mb"] * mib,) * 2),
        (resource.RLIMIT_FSIZE, (limits["file_size_mb"] * mib,) * 2),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
        (resource.RLIMIT_NOFILE, (limits["max_open_files"],) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
    ):
        resource.setrlimit(which, value)
    uid = cfg["uid"]
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getegid() == 0:
            raise PermissionError("the sandbox could not drop root privileges")
    libc.prctl(_PR_SET_NO_NEW_PRIVS, 1)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() not in (supervisor, 1):
        raise ProcessLookupError("the sandbox supervisor ended before the program started")
    for number in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    os.chdir(work)
    os.execve(argv[0], argv, env)


def _build_root(libc: _Libc, cfg: dict[str, Any], own_proc: bool) -> None:
    """Mount a private read-only root (see the module documentation) and chroot into it."""
    root = os.path.join(cfg["base"], "root")
    os.umask(0o022)
    libc.mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=4m,nr_inodes=1024")
    bound: list[str] = []

    def bind(source: str, readonly: bool = True, extra: int = _MS_NODEV) -> None:
        target = root + source
        libc.mount(source, target, None, _MS_BIND | _MS_REC)
        flags = _MS_BIND | _MS_REMOUNT | _MS_NOSUID | extra | (_MS_RDONLY if readonly else 0)
        libc.mount(None, target, None, flags)

    for name in _SYSTEM_DIRS:
        source = "/" + name
        if os.path.islink(source):
            os.symlink(os.readlink(source), root + source)
        elif os.path.isdir(source):
            os.mkdir(root + source, 0o755)
            bind(source)
            bound.append(source)
    for source in cfg["python_dirs"]:
        if any(source == b or source.startswith(b + "/") for b in bound):
            continue
        os.makedirs(root + source, 0o755, exist_ok=True)
        bind(source)
        bound.append(source)
    os.mkdir(root + "/etc", 0o755)
    for name in ("ld.so.cache", "localtime"):
        source = os.path.join("/etc", name)
        if os.path.isfile(source):
            shutil.copyfile(source, root + source)
    os.mkdir(root + "/dev", 0o755)
    for name in _DEVICES:
        source = "/dev/" + name
        if os.path.exists(source):
            with open(root + source, "w"):
                pass
            bind(source, readonly=False, extra=_MS_NOEXEC)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(target, root + "/dev/" + name)
    os.symlink("/proc/self/fd/1", root + "/dev/stdout")
    os.symlink("/proc/self/fd/2", root + "/dev/stderr")
    if own_proc:
        os.mkdir(root + "/proc", 0o555)
        with contextlib.suppress(OSError):  # without /proc, Python still runs
            libc.mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)
    os.makedirs(root + "/sandbox/work", 0o755)
    shutil.copyfile(cfg["program"], root + "/sandbox/main.py")
    os.chmod(root + "/sandbox/main.py", 0o444)
    limits, uid = cfg["limits"], cfg["uid"]
    libc.mount(
        "tmpfs",
        root + "/sandbox/work",
        "tmpfs",
        _MS_NOSUID | _MS_NODEV,
        f"mode=0700,uid={uid},gid={uid},size={limits['disk_mb']}m,nr_inodes=16384",
    )
    os.symlink("/sandbox/work", root + "/tmp")
    libc.mount(None, root, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    os.chroot(root)
    os.chdir("/")


def _kill_user(uid: int) -> None:
    """Kill every process of ``uid`` (the leftovers of a run without a PID namespace)."""
    helper = os.fork()
    if helper == 0:
        try:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for _ in range(100):  # kill(-1) spares the caller; repeat while forks race
                os.kill(-1, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        finally:
            os._exit(0)
    os.waitpid(helper, 0)


def _count_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1").strip())
    return count


def _send(fd: int, message: dict[str, Any]) -> None:
    os.write(fd, (json.dumps(message) + "\n").encode())


class _Messages:
    """JSON lines from the supervisor, read with a timeout."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.eof = False

    def next(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 4096)
                self.buffer += chunk
                self.eof = not chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = json.loads(line)
        return message if isinstance(message, dict) else None


if __name__ == "__main__":
    _launch(sys.argv[1])
