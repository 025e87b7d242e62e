"""The sandbox: ordinary programs run, and hostile ones are contained and reported.

Every hostile sample (reading the evaluator's files, the network, a fork bomb, a memory
hog, endless loops, killing its parent or the test process, huge files, output floods)
must end as a non-passing result with a reason, quickly, with the test process alive and
no process of the sandbox left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.harness import sandbox
from assay.harness.sandbox import SandboxLimits, SandboxResult, check_program, run_code

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox needs Linux"
)

FAST = SandboxLimits(cpu_seconds=2, wall_seconds=3.0)
ROOT = os.geteuid() == 0
REPO = Path(__file__).resolve().parents[2]


def sandbox_processes() -> list[int]:
    """Pids of live processes running under a sandbox uid."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields["Uid"].split()[0])
        if sandbox._UID_BASE <= uid < sandbox._UID_BASE + sandbox._UID_SPAN:
            found.append(int(entry))
    return found


def run(code: str, limits: SandboxLimits = FAST, stdin: str = "") -> SandboxResult:
    return run_code(textwrap.dedent(code), stdin=stdin, limits=limits)


def assert_contained(result: SandboxResult, *statuses: str) -> None:
    assert result.status in statuses, result
    assert result.reason, result
    assert not sandbox_processes()


# ---------------------------------------------------------------- ordinary programs


def test_a_passing_program_gets_its_stdin_and_returns_its_output() -> None:
    result = run(
        "import sys\nprint(sys.stdin.read().upper())\nprint('ok', file=sys.stderr)", stdin="hi"
    )
    assert result.status == "passed"
    assert result.passed
    assert result.returncode == 0
    assert result.reason == ""
    assert result.stdout == "HI\n"
    assert result.stderr == "ok\n"
    assert not result.truncated
    assert "rlimits" in result.isolation
    assert result.to_dict()["isolation"] == list(result.isolation)


def test_the_working_directory_is_empty_and_the_environment_minimal() -> None:
    result = run(
        """
        import os, sys
        print(os.listdir("."))
        print(sorted(os.environ))
        print("site" in sys.modules, hash("abc"))
        """
    )
    lines = result.stdout.splitlines()
    assert result.status == "passed", result
    assert lines[0] == "[]"
    assert eval(lines[1]) == sorted(
        ["HOME", "LANG", "LC_ALL", "PATH", "PYTHONHASHSEED", "PYTHONIOENCODING", "TMPDIR"]
    )
    # no site, and string hashes are the same in every run (PYTHONHASHSEED=0)
    assert lines[2] == run('print("site" in __import__("sys").modules, hash("abc"))').stdout.strip()
    assert lines[2].startswith("False ")


def test_a_failing_assertion_is_a_failure_with_its_message() -> None:
    result = run("assert 1 + 1 == 3, 'arithmetic is broken'")
    assert result.status == "failed"
    assert result.returncode == 1
    assert result.reason == "exit status 1: AssertionError: arithmetic is broken"
    assert "Traceback" in result.stderr


def test_a_syntax_error_is_a_failure() -> None:
    result = run("def f(:\n    pass\n")
    assert result.status == "failed"
    assert "SyntaxError" in result.reason


def test_a_segmentation_fault_is_a_crash() -> None:
    result = run("import ctypes\nctypes.string_at(0)")
    assert result.status == "crashed"
    assert result.returncode == -11
    assert "SIGSEGV" in result.reason


def test_check_program_runs_the_tests_against_the_entry_point() -> None:
    test = (
        "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
    )
    good = check_program("def add(a, b):\n    return a + b\n", test, "add", limits=FAST)
    bad = check_program("def add(a, b):\n    return a - b\n", test, "add", limits=FAST)
    assert good.status == "passed", good
    assert bad.status == "failed"
    assert "AssertionError" in bad.reason
    with pytest.raises(InputError, match="entry_point"):
        check_program("", test, "add; import os", limits=FAST)


def test_arguments_and_limits_are_validated() -> None:
    with pytest.raises(InputError, match="'cpu_seconds' parameter of SandboxLimits"):
        SandboxLimits(cpu_seconds=0)
    with pytest.raises(InputError, match="'wall_seconds'"):
        SandboxLimits(wall_seconds=float("inf"))
    with pytest.raises(InputError, match="'max_processes'"):
        SandboxLimits(max_processes=True)
    with pytest.raises(InputError, match="'code' parameter of run_code must be a str"):
        run_code(b"print(1)")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'limits'"):
        run_code("print(1)", limits={"cpu_seconds": 1})  # type: ignore[arg-type]


def test_runs_in_parallel_get_their_own_uid_and_process_budget() -> None:
    code = "import os, time\ntime.sleep(0.3)\nprint(os.getuid())"
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: run(code), range(6)))
    assert all(r.status == "passed" for r in results), results
    if ROOT:
        uids = {int(r.stdout) for r in results}
        assert len(uids) == 6
        assert all(uid != 0 for uid in uids)


def test_isolation_as_root_uses_every_layer() -> None:
    if not ROOT:
        pytest.skip("the full set of isolation layers needs root (as in a container)")
    result = run("print(1)")
    assert set(result.isolation) >= {
        "uid",
        "rlimits",
        "no-new-privileges",
        "pid-namespace",
        "network-namespace",
        "mount-namespace",
    }
    assert "socket-guard" not in result.isolation


# ---------------------------------------------------------------- hostile samples


@pytest.fixture
def secret_file() -> Iterator[Path]:
    """A 0600 file of the evaluator's in a directory anyone may enter."""
    directory = Path(tempfile.mkdtemp(prefix="assay-secret-"))
    try:
        directory.chmod(0o755)
        secret = directory / "secret.txt"
        secret.write_text("the evaluator's secret")
        secret.chmod(0o600)
        yield secret
    finally:
        secret.unlink(missing_ok=True)
        directory.rmdir()


def test_reading_an_evaluator_file_fails(secret_file: Path) -> None:
    result = run(f"print(open({str(secret_file)!r}).read())")
    assert_contained(result, "failed")
    assert "FileNotFoundError" in result.reason or "PermissionError" in result.reason
    assert "secret" not in result.stdout + result.stderr.replace(str(secret_file), "")


def test_the_evaluator_files_do_not_exist_in_the_private_root() -> None:
    probe = run("print(1)")
    if "mount-namespace" not in probe.isolation:
        pytest.skip("no mount namespace here: the sandbox sees world-readable files")
    for path in (REPO / "pyproject.toml", REPO / "src", Path.cwd()):
        result = run(f"import os\nprint(os.listdir({str(path)!r}))")
        assert_contained(result, "failed")
        assert "FileNotFoundError" in result.reason, (path, result)
    # the evaluator's home and temporary directory are empty there, but for the path to
    # the interpreter when it is installed below them (pyenv installs under ~/.pyenv)
    home, tmp = str(Path.home()), tempfile.gettempdir()
    listing = run(
        f"import os\nfor d in ({home!r}, {tmp!r}):\n"
        "    print(sorted(os.listdir(d)) if os.path.isdir(d) else [])"
    )
    seen_home, seen_tmp = (eval(line) for line in listing.stdout.splitlines())
    interpreter = Path(os.path.realpath(sys.executable))
    allowed = (
        {interpreter.relative_to(home).parts[0]} if interpreter.is_relative_to(home) else set()
    )
    assert set(seen_home) <= allowed
    assert seen_tmp == []
    # what is there: system directories, the interpreter, devices, its own /proc, /sandbox
    listing = run("import json, os\nprint(json.dumps([os.listdir('/'), os.listdir('/sandbox')]))")
    top, own = json.loads(listing.stdout)
    system = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc"}
    assert set(top) <= system | {"sandbox", "tmp", interpreter.parts[1]}
    assert sorted(own) == ["main.py", "work"]
    writing = run("open('/usr/evil', 'w')")
    assert_contained(writing, "failed")
    assert "Read-only file system" in writing.reason or "PermissionError" in writing.reason


@pytest.mark.parametrize("guard", [False, True], ids=["namespace", "socket-guard"])
def test_no_connection_reaches_a_listening_socket(
    guard: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if guard:  # as where network namespaces are not available
        monkeypatch.setattr(
            sandbox, "_NAMESPACES", tuple(n for n in sandbox._NAMESPACES if n != "net")
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.3)
        port = server.getsockname()[1]
        result = run(
            f"""
            import socket
            with socket.create_connection(("127.0.0.1", {port}), timeout=2) as conn:
                conn.sendall(b"exfiltrated")
            """
        )
        with pytest.raises(TimeoutError):
            server.accept()
    assert_contained(result, "failed")
    if guard:
        assert "socket-guard" in result.isolation
        assert "network access is disabled" in result.reason
    else:
        assert "network-namespace" in result.isolation or "socket-guard" in result.isolation


def test_a_fork_bomb_is_bounded_by_the_process_limit() -> None:
    limits = SandboxLimits(cpu_seconds=2, wall_seconds=3.0, max_processes=6)
    counted = run(
        """
        import os, time
        children = 0
        for _ in range(1000):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
        print(children)
        """,
        limits=limits,
    )
    assert counted.status == "passed", counted
    assert int(counted.stdout) <= limits.max_processes - 1  # the program itself counts
    assert not sandbox_processes()  # the sleeping children died with the sandbox


def test_a_fork_bomb_ends_at_the_wall_time_limit() -> None:
    t0 = time.perf_counter()
    result = run(
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """,
        limits=SandboxLimits(cpu_seconds=2, wall_seconds=1.5, max_processes=6),
    )
    assert_contained(result, "timeout")
    assert time.perf_counter() - t0 < 10
    assert run("print('still healthy')").status == "passed"


def test_a_memory_hog_hits_the_memory_limit() -> None:
    result = run("block = bytearray(4 * 1024**3)\nprint(len(block))")
    assert_contained(result, "memory")
    assert "memory limit of 512 MiB" in result.reason


def test_an_endless_loop_hits_the_cpu_limit() -> None:
    result = run("while True:\n    pass", limits=SandboxLimits(cpu_seconds=1, wall_seconds=5.0))
    assert_contained(result, "timeout")
    assert "CPU-time limit of 1 s" in result.reason


def test_an_endless_sleep_hits_the_wall_time_limit() -> None:
    t0 = time.perf_counter()
    result = run(
        "import time\ntime.sleep(60)", limits=SandboxLimits(cpu_seconds=2, wall_seconds=1.0)
    )
    assert_contained(result, "timeout")
    assert "wall-time limit of 1 s" in result.reason
    assert time.perf_counter() - t0 < 5


def test_killing_its_parent_or_the_test_process_fails_and_harms_nobody() -> None:
    me = os.getpid()
    test = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
    for body in (
        "os.kill(os.getppid(), signal.SIGKILL)",
        f"os.kill({me}, signal.SIGKILL)",
        f"os.kill({os.getppid()}, signal.SIGKILL)",
        "os.kill(-1, signal.SIGKILL)",
        "os.killpg(0, signal.SIGKILL)",
    ):
        program = f"import os, signal\n\ndef add(a, b):\n    {body}\n    return None\n"
        result = check_program(program, test, "add", limits=FAST)
        assert result.status in ("failed", "killed"), (body, result)
        assert result.reason
        assert os.getpid() == me
    assert not sandbox_processes()
    if ROOT:  # a different uid: signalling the supervisor is refused, the evaluator unseen
        result = run("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
        assert "PermissionError" in result.reason
        result = run(f"import os, signal\nos.kill({me}, signal.SIGKILL)")
        assert "ProcessLookupError" in result.reason or "PermissionError" in result.reason


def test_a_daemon_that_leaves_the_process_group_is_killed() -> None:
    result = run(
        """
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        print("detached")
        """
    )
    assert result.status == "passed"
    time.sleep(0.2)
    assert not sandbox_processes()


def test_writing_a_huge_file_hits_the_file_size_limit() -> None:
    result = run("open('big.bin', 'wb').write(b'x' * (40 * 1024 * 1024))")
    assert_contained(result, "failed")
    assert "File too large" in result.reason


def test_filling_the_disk_hits_the_working_directory_size() -> None:
    result = run("for i in range(100):\n    open(f'part{i}', 'wb').write(b'x' * (8 * 1024 * 1024))")
    if "mount-namespace" not in result.isolation:
        pytest.skip("without a mount namespace the working directory is not size-limited")
    assert_contained(result, "failed")
    assert "No space left on device" in result.reason


def test_an_output_flood_is_capped() -> None:
    limits = SandboxLimits(cpu_seconds=5, wall_seconds=10.0, output_bytes=10_000)
    result = run("import sys\nsys.stdout.write('x' * 30_000_000)\nprint('END')", limits=limits)
    assert result.status == "passed"
    assert result.truncated
    assert len(result.stdout) < 11_000
    assert result.stdout.startswith("xxxx")
    assert result.stdout.endswith("END\n")  # the tail is kept
    assert "bytes cut by the sandbox" in result.stdout


# ---------------------------------------------------------------- fallbacks


def test_without_a_mount_namespace_the_uid_still_guards_private_files(
    secret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not ROOT:
        pytest.skip("the uid is dropped only when the evaluator is root")
    monkeypatch.setattr(sandbox, "_NAMESPACES", ("pid", "net"))
    result = run(f"print(open({str(secret_file)!r}).read())")
    assert "mount-namespace" not in result.isolation
    if result.status == "error":
        # here the interpreter itself is private to root (e.g. under /root/.pyenv): the
        # run is refused and says why, rather than falling back to running as root
        assert "cannot start the program" in result.reason
        assert "must be able to read the interpreter" in result.reason
    else:
        assert_contained(result, "failed")
        assert "PermissionError" in result.reason


def _system_python() -> str | None:
    """A Python of the same version that any user can run, other than the evaluator's."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        path = Path(candidate)
        if path.is_file() and os.path.realpath(candidate) != os.path.realpath(sys.executable):
            probe = subprocess.run(
                [candidate, "-c", "print(1)"],
                user=65534,
                group=65534,
                extra_groups=[],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                return candidate
    return None


def _traversable_for_others(paths: list[str], stack: contextlib.ExitStack) -> None:
    """Add search permission for others to the directories above ``paths`` that lie inside
    the temporary directory and lack it; ``stack`` restores their modes."""
    tmp = Path(tempfile.gettempdir()).resolve()
    seen: set[Path] = set()
    for path in paths:
        for parent in Path(path).resolve().parents:
            if parent in seen or tmp not in parent.parents:
                continue
            seen.add(parent)
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)
                stack.callback(parent.chmod, mode)


def test_an_unprivileged_evaluator_gets_user_namespaces(tmp_path: Path) -> None:
    """Run the evaluator itself as an ordinary user (nobody) and check the containment."""
    if not ROOT:
        pytest.skip("switching the evaluator to an ordinary user needs root")
    python = _system_python()
    if python is None:
        pytest.skip("no Python of this version that an ordinary user may run")
    site_packages = [p for p in sys.path if p.endswith("site-packages")]
    src = str(REPO / "src")
    script = textwrap.dedent(
        f"""
        import json, os, sys
        sys.path[:0] = {[src, *site_packages]!r}
        from assay.harness.sandbox import SandboxLimits, run_code
        limits = SandboxLimits(cpu_seconds=1, wall_seconds=2.0)
        me = os.getpid()
        out = {{}}
        for name, code in {{
            "plain": "import os; print(os.getuid())",
            "net": "import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)",
            "kill_evaluator": f"import os; os.kill({{me}}, 9)",
            "loop": "while True: pass",
        }}.items():
            out[name] = run_code(code, limits=limits).to_dict()
        out["alive"] = me
        print(json.dumps(out))
        """
    )
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:  # pytest's base directory is private to root
        if parent == Path(tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o111)
    (tmp_path / "evaluator.py").write_text(script)
    (tmp_path / "evaluator.py").chmod(0o644)
    with contextlib.ExitStack() as stack:
        # a checkout in a private temporary directory (as CI's fresh clone is): let the
        # ordinary user traverse to assay's source and the virtualenv for this test only
        _traversable_for_others([src, *site_packages], stack)
        done = subprocess.run(
            [python, str(tmp_path / "evaluator.py")],
            user=65534,
            group=65534,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if done.returncode != 0 and "ModuleNotFoundError" in done.stderr:
        pytest.skip(f"the ordinary user cannot import assay's dependencies: {done.stderr[-200:]}")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["plain"]["status"] == "passed"
    assert out["plain"]["stdout"].strip() == "65534"
    if "user-namespace" in out["plain"]["isolation"]:
        assert {"pid-namespace", "network-namespace"} <= set(out["plain"]["isolation"])
        assert "Network is unreachable" in out["net"]["reason"]
        assert "ProcessLookupError" in out["kill_evaluator"]["reason"]  # not visible
    else:
        assert "socket-guard" in out["plain"]["isolation"]
    assert out["net"]["status"] == "failed"
    assert out["loop"]["status"] == "timeout"
