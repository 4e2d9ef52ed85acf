"""Start, stop and inspect the embedded S3 server and Snowflake emulator.

Each runs as its own process on 127.0.0.1, detached from the caller's session so
that `shopping-pipeline services start` returns while they keep running. Their pid
files and logs live under `$SHOPPING_HOME/run` and `$SHOPPING_HOME/logs`; their data
under `$SHOPPING_HOME/state`, so it survives a stop and start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shopping_assets.errors import UserFacingError
from shopping_assets.settings import Settings


class ServiceError(UserFacingError, RuntimeError):
    """An embedded service could not be started or reached; the message says which and where."""


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    command: tuple[str, ...]
    home: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text())
            os.kill(pid, 0)
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None
        return pid

    def listening(self) -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def ready(self) -> bool:
        """Listening, and past its start-up work (the S3 server restores objects first)."""
        if not self.listening():
            return False
        try:
            return "ready on" in self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return False


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (for services, UIs and receivers of one's own)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def services(settings: Settings) -> list[Service]:
    python = sys.executable
    state = settings.state_dir
    return [
        Service(
            "s3",
            settings.s3_port,
            (
                python,
                "-m",
                "shopping_assets.embedded.s3_server",
                "--port",
                str(settings.s3_port),
                "--state",
                str(state / "s3"),
            ),
            settings.home,
        ),
        Service(
            "snowflake",
            settings.snowflake_port,
            (
                python,
                "-m",
                "shopping_assets.embedded.snowflake_server",
                "--port",
                str(settings.snowflake_port),
                "--state",
                str(state / "snowflake"),
                "--s3-endpoint",
                f"http://127.0.0.1:{settings.s3_port}",
                # how long a dead client's open transaction holds its locks (Snowflake: 5 minutes)
                "--detached-timeout",
                str(settings.emulator_detached_timeout),
            ),
            settings.home,
        ),
    ]


def _spawn(service: Service) -> None:
    service.pid_file.parent.mkdir(parents=True, exist_ok=True)
    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(service.log_file, "w") as log:
        process = subprocess.Popen(
            service.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            # A launcher started from a non-interactive shell may pass SIG_IGN on to
            # its children; the servers install their own handlers anyway.
            restore_signals=True,
            cwd=Path(__file__).resolve().parents[2],
        )
    service.pid_file.write_text(str(process.pid))


@contextlib.contextmanager
def start_lock(settings: Settings):
    """Held by a command while it starts the services and bootstraps them: two commands starting
    at once (a schedule's run and a manual one) would each spawn a server, and each replace the
    same views, which the emulator refuses as a catalog conflict."""
    import fcntl

    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def start(settings: Settings, timeout: float = 60.0, meanwhile: Callable[[], object] | None = None) -> list[str]:
    """Start whatever is not running yet; return the names of the services started. The servers
    boot side by side, and `meanwhile` runs in this process while they do."""
    if not settings.local:
        raise ServiceError("SHOPPING_DEPLOYMENT=prod uses AWS and Snowflake; there are no embedded services to start")
    starting = []
    for service in services(settings):
        if service.pid() and service.listening():
            continue
        if service.listening():
            raise ServiceError(
                f"port {service.port} on 127.0.0.1 is taken by another program; "
                f"set SHOPPING_{service.name.upper()}_PORT to a free port"
            )
        starting.append(service)
    for service in starting:
        _spawn(service)
    try:
        if meanwhile is not None:
            meanwhile()
        deadline = time.monotonic() + timeout
        for service in starting:
            while not service.ready():
                if service.pid() is None:
                    raise ServiceError(f"embedded {service.name} server exited on start; see {service.log_file}")
                if time.monotonic() > deadline:
                    raise ServiceError(
                        f"embedded {service.name} server not ready at {service.url} after {timeout:.0f} s"
                    )
                time.sleep(0.1)
    except BaseException:
        # None left running that this call started. A server still booting has nothing to
        # save, and may not handle SIGTERM yet.
        for service in reversed(starting):
            _stop(service, timeout=0)
        raise
    return [service.name for service in starting]


def stop(settings: Settings, timeout: float = 60.0) -> list[str]:
    """Stop the services in reverse order, letting each save its state; return those stopped."""
    return [service.name for service in reversed(services(settings)) if _stop(service, timeout)]


def _stop(service: Service, timeout: float = 60.0) -> bool:
    """SIGTERM, so that the server saves its state; SIGKILL if it is still there after `timeout`."""
    pid = service.pid()
    if pid is None:
        return False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        if wait == 0 or service.pid() is None:
            continue
        os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while service.pid() is not None and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
    service.pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    # A child of this process stays a zombie (and "alive" to kill 0) until waited for.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status(settings: Settings) -> dict[str, str]:
    return {
        service.name: (
            f"running at {service.url} (pid {service.pid()})" if service.pid() and service.listening() else "stopped"
        )
        for service in services(settings)
    }
