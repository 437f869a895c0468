"""A private PostgreSQL cluster for a fault test: its own data folder, port and socket folder, so a
test can stop and start it without disturbing the shared server other tests and people use."""

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require

BINARY_DIRS = "/usr/lib/postgresql/*/bin"
TIMEOUT = 60  # seconds for initdb, a start or a stop


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))


def find_binaries() -> Path | None:
    """The newest installed server's bin folder (Debian keeps each major version apart)."""
    found = [p for p in Path("/").glob(BINARY_DIRS.lstrip("/")) if (p / "initdb").exists() and (p / "pg_ctl").exists()]
    return max(found, key=_version) if found else None


@dataclass
class PostgresCluster:
    bin_dir: Path
    home: Path  # holds the data folder, the socket and the server log
    port: int
    user: str | None  # the OS user that runs the server (initdb and postgres refuse root)

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            user=self.user, capture_output=True, text=True, timeout=TIMEOUT, cwd=self.home,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}):\n{done.stdout}{done.stderr}\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def init(self) -> None:
        # --no-sync: the cluster lives only as long as the test; commits are still synchronous.
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c max_connections=40 -c shared_buffers=16MB"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "-t", str(TIMEOUT), "start")

    def stop(self, mode: str = "fast") -> None:
        """fast: end every session and shut down cleanly; immediate: quit at once, as a crash would
        (the next start replays the write-ahead log)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(TIMEOUT), "stop")

    def running(self) -> bool:
        done = subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"],
            user=self.user, capture_output=True, timeout=TIMEOUT, cwd=self.home,
        )
        return done.returncode == 0


def new_cluster(port: int) -> PostgresCluster:
    """An initialised, stopped cluster in a fresh folder; skips (fails under CI) without the binaries.

    The folder is made under the system's temporary folder rather than pytest's: when the tests
    run as root, the server runs as the `postgres` user, which cannot enter root's private
    pytest folders."""
    bin_dir = find_binaries()
    require(bin_dir is not None, f"PostgreSQL server binaries (initdb, pg_ctl) are not installed in {BINARY_DIRS}")
    user = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            require(False, "running as root, and there is no `postgres` user to run a private PostgreSQL server")
        user = "postgres"
    home = Path(tempfile.mkdtemp(prefix="hearth-pg-"))
    if user:
        os.chown(home, owner.pw_uid, owner.pw_gid)
    cluster = PostgresCluster(bin_dir, home, port, user)
    try:
        cluster.init()
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return cluster


def remove(cluster: PostgresCluster) -> None:
    if cluster.running():
        cluster.stop("immediate")
    shutil.rmtree(cluster.home, ignore_errors=True)
