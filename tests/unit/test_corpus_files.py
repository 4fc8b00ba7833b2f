"""Files in and out (issue 13, items 7-10): what a writing command may write, and what it reads.

The corpus cases run the real CLI (tests/unit/corpus.py): a device, FIFO, symbolic link or
directory at -o is refused with or without --force; a missing, read-only or full directory is one
line and leaves nothing behind; --dry-run checks the output path as the real run does; a
directory, FIFO or unreadable file given as input is one line (a FIFO used to hang). The tests
after them cover what a single run cannot show: a file that appears at -o during a run, two runs
racing for one -o, a signal in the middle, and the temp files a killed run leaves.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit import corpus
from tests.unit.corpus import CORPUS, Case, command_line, dir_state, environment, run_case

BASE = CORPUS / "base.json"
NO_DAC = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
_MOUNTS: list[Path] = []


@dataclass
class FileCase(Case):
    unprivileged: bool = False  # root reads and writes through any mode bits: drop that for this case


# ------------------------------------------------------------------------------ what the cases plant

def fifo(name: str):
    return lambda tmp: os.mkfifo(tmp / name)


def device(name: str):
    def make(tmp: Path) -> None:
        try:
            os.mknod(tmp / name, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # a private /dev/full
        except PermissionError:
            pytest.skip("mknod needs root")
    return make


def symlink(name: str, to: str, with_target: bool = False):
    def make(tmp: Path) -> None:
        if with_target:
            (tmp / to).write_text("the link's target: must stay as it is\n")
        (tmp / name).symlink_to(to)
    return make


def directory(name: str):
    return lambda tmp: (tmp / name).mkdir()


def regular(name: str, mode: int | None = None):
    def make(tmp: Path) -> None:
        shutil.copy(BASE, tmp / name)
        if mode is not None:
            os.chmod(tmp / name, mode)
    return make


def read_only_dir(name: str):
    def make(tmp: Path) -> None:
        (tmp / name).mkdir()
        os.chmod(tmp / name, 0o555)
    return make


def _mount(tmp: Path, name: str, options: str) -> Path:
    where = tmp / name
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    _MOUNTS.append(where)
    return where


def full_disk(name: str):
    """A 64 KiB tmpfs with one 4 KiB page left: a real ENOSPC (base.json needs two pages)."""
    def make(tmp: Path) -> None:
        where = _mount(tmp, name, "size=64k,mode=0755")
        (where / "filler").write_bytes(b"\0" * (60 * 1024))
    return make


def read_only_fs(name: str):
    return lambda tmp: _mount(tmp, name, "ro,size=64k")


def both(*makers):
    def make(tmp: Path) -> None:
        for m in makers:
            m(tmp)
    return make


@pytest.fixture(autouse=True)
def _unmount():
    yield
    while _MOUNTS:
        subprocess.run(["umount", str(_MOUNTS.pop())], check=False)


REFUSED = "not a regular file; tfdata writes only regular files"
LINK = "is a symbolic link; tfdata writes only regular files and does not follow links"

CASES = [
    # 7. only regular files are written, --force or not
    FileCase("export-o-device-force", ["export", "{c}/base.json", "-o", "full", "--force"],
             ("full: is a character device", REFUSED), make=device("full")),
    FileCase("export-o-device", ["export", "{c}/base.json", "-o", "full"], ("full: is a character device",),
             make=device("full")),
    FileCase("snapshot-o-device-force", ["snapshot", "{c}/base.json", "-o", "full", "--force"],
             ("full: is a character device", REFUSED), make=device("full")),
    FileCase("export-o-fifo-force", ["export", "{c}/base.json", "-o", "out.json", "--force"],
             ("out.json: is a FIFO", REFUSED), make=fifo("out.json")),
    FileCase("export-o-fifo", ["export", "{c}/base.json", "-o", "out.json"], ("out.json: is a FIFO",),
             make=fifo("out.json")),
    FileCase("snapshot-o-fifo-force", ["snapshot", "{c}/base.json", "-o", "s.tfsnap", "--force"],
             ("s.tfsnap: is a FIFO", REFUSED), make=fifo("s.tfsnap")),
    FileCase("export-o-symlink-force", ["export", "{c}/base.json", "-o", "out.json", "--force"],
             ("out.json: " + LINK,), make=symlink("out.json", "real.json", with_target=True)),
    FileCase("export-o-dangling-symlink", ["export", "{c}/base.json", "-o", "out.json"],
             ("out.json: " + LINK,), make=symlink("out.json", "nowhere.json")),
    FileCase("snapshot-o-symlink-force", ["snapshot", "{c}/base.json", "-o", "s.tfsnap", "--force"],
             ("s.tfsnap: " + LINK,), make=symlink("s.tfsnap", "real.tfsnap", with_target=True)),
    FileCase("snapshot-o-dangling-symlink", ["snapshot", "{c}/base.json", "-o", "s.tfsnap"],
             ("s.tfsnap: " + LINK,), make=symlink("s.tfsnap", "/nonexistent/s.tfsnap")),
    FileCase("export-o-directory-force", ["export", "{c}/base.json", "-o", "out.json", "--force"],
             ("out.json", "is a directory"), make=directory("out.json")),  # click's own check
    FileCase("export-o-exists", ["export", "{c}/base.json", "-o", "out.json"],
             ("out.json: file exists", "--force"), make=regular("out.json")),
    FileCase("snapshot-over-existing-file", ["snapshot", "old", "-o", "out.tfsnap"],
             ("out.tfsnap", "file exists", "--force"), make=regular("out.tfsnap")),  # before the profile is read
    FileCase("export-dry-run-o-exists", ["export", "{c}/base.json", "-o", "out.json", "--dry-run"],
             ("out.json: file exists", "--force"), make=regular("out.json")),
    FileCase("snapshot-dry-run-o-device", ["snapshot", "{c}/base.json", "-o", "full", "--force", "--dry-run"],
             ("full: is a character device",), make=device("full")),
    # 10. the output directory: missing, not a directory, read-only, full; --dry-run says the same
    FileCase("export-missing-dir", ["export", "{c}/base.json", "-o", "nodir/out.json"],
             ("nodir/out.json: directory nodir does not exist",)),
    FileCase("export-dry-run-missing-dir", ["export", "{c}/base.json", "-o", "nodir/out.json", "--dry-run"],
             ("nodir/out.json: directory nodir does not exist",)),
    FileCase("snapshot-missing-dir", ["snapshot", "{c}/base.json", "-o", "nodir/s.tfsnap"],
             ("nodir/s.tfsnap: directory nodir does not exist",)),
    FileCase("snapshot-dry-run-missing-dir", ["snapshot", "{c}/base.json", "-o", "nodir/s.tfsnap", "--dry-run"],
             ("nodir/s.tfsnap: directory nodir does not exist",)),
    FileCase("export-parent-is-a-file", ["export", "{c}/base.json", "-o", "in.json/out.json"],
             ("in.json/out.json", "not a directory"), make=regular("in.json")),
    FileCase("export-read-only-dir", ["export", "{c}/base.json", "-o", "ro/out.json"],
             ("ro/out.json: directory ro is not writable (permission denied)",), make=read_only_dir("ro"),
             unprivileged=True),
    FileCase("export-dry-run-read-only-dir", ["export", "{c}/base.json", "-o", "ro/out.json", "--dry-run"],
             ("ro/out.json: directory ro is not writable",), make=read_only_dir("ro"), unprivileged=True),
    FileCase("snapshot-read-only-dir", ["snapshot", "{c}/base.json", "-o", "ro/s.tfsnap"],
             ("ro/s.tfsnap: directory ro is not writable",), make=read_only_dir("ro"), unprivileged=True),
    FileCase("export-read-only-fs", ["export", "{c}/base.json", "-o", "rofs/out.json", "--force"],
             ("rofs/out.json: directory rofs is not writable (read-only file system)",), make=read_only_fs("rofs")),
    FileCase("export-disk-full", ["export", "{c}/base.json", "-o", "small/out.json"],
             ("small/out.json: cannot write (no space left on device); nothing was written",),
             make=full_disk("small")),
    FileCase("export-gz-disk-full", ["export", "{c}/base.json", "-o", "small/out.json.gz"],
             ("small/out.json.gz", "no space left on device"),
             make=both(full_disk("small"), lambda tmp: (tmp / "small" / "more").write_bytes(b"\0" * 3000))),
    FileCase("snapshot-disk-full", ["snapshot", "{c}/base.json", "-o", "small/s.tfsnap"],
             ("small/s.tfsnap: cannot write (no space left on device); nothing was written",),
             make=full_disk("small")),
    # 9. inputs: regular, readable files only (a FIFO used to hang)
    FileCase("export-input-is-a-directory", ["export", "in.json", "-o", "out.json"],
             ("in.json: is a directory, not a regular file",), make=directory("in.json")),
    FileCase("snapshot-input-is-a-directory", ["snapshot", "in.tfsnap", "-o", "s.tfsnap"],
             ("in.tfsnap: is a directory, not a regular file",), make=directory("in.tfsnap")),
    FileCase("snapshots-show-directory", ["snapshots", "show", "in.tfsnap"],
             ("in.tfsnap", "is a directory"), make=directory("in.tfsnap")),  # click's own check
    FileCase("missing-dump-file", ["diff", "./nope.json", "{c}/base.json"], ("nope.json", "no such file")),
    FileCase("export-input-fifo", ["export", "in.json", "-o", "out.json"],
             ("in.json: is a FIFO, not a regular file",), make=fifo("in.json")),
    FileCase("snapshot-input-fifo", ["snapshot", "in.tfsnap", "-o", "s.tfsnap"],
             ("in.tfsnap: is a FIFO, not a regular file",), make=fifo("in.tfsnap")),
    FileCase("export-input-fifo-no-suffix", ["export", "./in", "-o", "out.json"],
             ("in: is a FIFO",), make=fifo("in")),
    FileCase("config-fifo", ["--config", "conf.toml", "export", "old", "-o", "out.json"],
             ("conf.toml: is a FIFO",), make=fifo("conf.toml")),
    FileCase("export-input-unreadable", ["export", "in.json", "-o", "out.json"],
             ("in.json: cannot read (Permission denied)",), make=regular("in.json", 0o000), unprivileged=True),
    FileCase("export-input-unreadable-no-suffix", ["export", "./in", "-o", "out.json"],
             ("in: cannot read (Permission denied)",), make=regular("in", 0o000), unprivileged=True),
    FileCase("snapshot-input-unreadable", ["snapshot", "in.tfsnap", "-o", "s.tfsnap"],
             ("in.tfsnap: cannot read (Permission denied)",), make=regular("in.tfsnap", 0o000), unprivileged=True),
    # snapshots list of what is not a directory
    FileCase("snapshots-list-missing-dir", ["snapshots", "list", "--dir", "nope"], ("nope: no such directory",)),
    FileCase("snapshots-list-dir-is-a-file", ["snapshots", "list", "--dir", "in.json"],
             ("in.json", "is a file"), make=regular("in.json")),  # click's own check
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_files_corpus(case: FileCase, tmp_path, monkeypatch):
    prefix: list[str] = []
    if case.unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to run without root's file access override")
        prefix = NO_DAC

    def run(args, cwd, stdin=None, timeout=None):
        # 30 s: a FIFO given as input used to block forever
        return subprocess.run([*prefix, *command_line(args)], cwd=cwd, env=environment(), capture_output=True,
                              input=stdin, timeout=30)

    monkeypatch.setattr(corpus, "tfdata", run)
    line = run_case(case, tmp_path)
    assert line.count("tfdata: error:") == 1


# ------------------------------------------------------------------------------ during a run

@pytest.fixture(scope="module")
def big_dump(tmp_path_factory) -> Path:
    """Big enough that export/snapshot run for about a second (the window the tests need)."""
    from tfdata.gen import generate_dump

    path = tmp_path_factory.mktemp("big") / "big.json"
    generate_dump(path, 3000, seed=5)
    return path


def _temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".tmp-" in p.name or ".part" in p.name)


def _default_signals() -> None:
    """A shell without job control starts background jobs with SIGINT ignored, nohup ignores
    SIGHUP, and a child inherits both (CI may run the suite so): give the command the default
    dispositions a terminal session has, which it then handles itself."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command_line(args), cwd=cwd, env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_default_signals)


def _wait_for_temp(proc: subprocess.Popen, cwd: Path) -> None:
    deadline = time.monotonic() + 30
    while not _temps(cwd):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never created its temp file"
        time.sleep(0.002)


def _one_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text, text
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfdata: error: "), text
    return lines[0]


@pytest.mark.parametrize("command,out", [("export", "out.json"), ("snapshot", "out.tfsnap")])
def test_library_refuses_a_target_that_appears_during_the_run(command, out, tmp_path):
    """The no-clobber check at the start is not enough: the publish step itself refuses."""
    from tfdata.errors import TargetNotEmpty
    from tfdata.ops.export import export
    from tfdata.ops.snapshot import take_snapshot
    from tfdata.stores.dump import DumpSource

    target = tmp_path / out

    def plant() -> None:  # another run (or an operator) got there first
        if not target.exists():
            target.write_text("planted\n")

    run = export if command == "export" else take_snapshot
    with pytest.raises(TargetNotEmpty, match="appeared there while tfdata was writing"):
        run(DumpSource(BASE), target, on_cell=plant)
    assert target.read_text() == "planted\n"
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("command,out", [("export", "out.json"), ("snapshot", "out.tfsnap")])
def test_force_still_refuses_a_fifo_that_appears_during_the_run(command, out, tmp_path):
    from tfdata.errors import InputError
    from tfdata.ops.export import export
    from tfdata.ops.snapshot import take_snapshot
    from tfdata.stores.dump import DumpSource

    target = tmp_path / out

    def plant() -> None:
        if not os.path.lexists(target):
            os.mkfifo(target)

    run = export if command == "export" else take_snapshot
    with pytest.raises(InputError, match="is a FIFO"):
        run(DumpSource(BASE), target, force=True, on_cell=plant)
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("command,out", [("export", "out.json"), ("snapshot", "out.tfsnap")])
def test_cli_does_not_overwrite_a_file_created_during_the_run(command, out, tmp_path, big_dump):
    proc = _start([command, str(big_dump), "-o", out], tmp_path)
    _wait_for_temp(proc, tmp_path)
    (tmp_path / out).write_text("created meanwhile\n")
    _, stderr = proc.communicate(timeout=120)
    line = _one_line(stderr)
    assert proc.returncode == 2 and f"{out}: a file appeared there" in line
    assert (tmp_path / out).read_text() == "created meanwhile\n"
    assert _temps(tmp_path) == []


@pytest.mark.parametrize("command,out", [("export", "out.json"), ("snapshot", "out.tfsnap")])
def test_two_concurrent_runs_to_one_output(command, out, tmp_path, big_dump):
    """One wins; the other fails with one line instead of silently replacing the winner's file."""
    procs = [_start([command, str(big_dump), "-o", out], tmp_path) for _ in range(2)]
    results = [(p.communicate(timeout=120), p.returncode) for p in procs]
    codes = sorted(code for _, code in results)
    assert codes == [0, 2], results
    loser = next(stderr for (_, stderr), code in results if code == 2)
    line = _one_line(loser)
    assert f"{out}: " in line and ("appeared there" in line or "file exists" in line)
    assert _temps(tmp_path) == []
    if command == "export":
        json.loads((tmp_path / out).read_text())  # complete
    else:
        assert corpus.tfdata(["snapshots", "verify", out], tmp_path).returncode == 0


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
@pytest.mark.parametrize("command,out", [("export", "out.json.gz"), ("snapshot", "out.tfsnap")])
def test_signal_during_a_run_leaves_no_temp_file(command, out, sig, code, tmp_path, big_dump):
    proc = _start([command, str(big_dump), "-o", out], tmp_path)
    _wait_for_temp(proc, tmp_path)
    time.sleep(0.1)  # well into the writing
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    line = _one_line(stderr)
    assert proc.returncode == code, line
    assert sig.name in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_snapshots_list_reports_stale_temp_files(tmp_path):
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    assert corpus.tfdata(["snapshot", str(BASE), "-o", "snaps/good.tfsnap"], tmp_path).returncode == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (snaps / f".old.tfsnap.tmp-{dead.pid}").write_bytes(b"\0" * 100)  # left by a kill -9
    (snaps / f".live.tfsnap.tmp-{os.getpid()}").write_bytes(b"")  # a run in progress: not stale
    text = corpus.tfdata(["snapshots", "list", "--dir", "snaps"], tmp_path)
    assert text.returncode == 0, text.stderr
    out = text.stdout.decode()
    assert f".old.tfsnap.tmp-{dead.pid}" in out and "STALE TEMP FILE of old.tfsnap" in out
    assert "good.tfsnap" in out and ".live.tfsnap" not in out
    entries = json.loads(corpus.tfdata(["snapshots", "list", "--dir", "snaps", "--format", "json"], tmp_path).stdout)
    stale = [e for e in entries if e.get("stale_temp")]
    assert [(Path(e["path"]).name, e["pid"]) for e in stale] == [(f".old.tfsnap.tmp-{dead.pid}", dead.pid)]


def test_dry_run_writes_nothing_and_creates_no_default_directory(tmp_path):
    before = dir_state(tmp_path)
    result = corpus.tfdata(["snapshot", str(BASE), "--dry-run"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert dir_state(tmp_path) == before
    result = corpus.tfdata(["snapshot", str(BASE)], tmp_path)  # the default directory is created
    assert result.returncode == 0, result.stderr
    made = list((tmp_path / "snapshots").iterdir())
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600


# ------------------------------------------------------------------------------ checkpoint files

@pytest.mark.parametrize("plant,needle", [(lambda p: os.mkfifo(p), "is a FIFO"),
                                          (lambda p: p.symlink_to("elsewhere"), "is a symbolic link"),
                                          (lambda p: p.mkdir(), "is a directory")])
def test_checkpoints_are_regular_files_only(plant, needle, tmp_path):
    """sync and restore read their checkpoint back before writing it: a FIFO hung them, a link was
    written through."""
    from tfdata.errors import InputError
    from tfdata.ops.restore import _load, _save
    from tfdata.sync.copy import Checkpoint

    path = tmp_path / "run.ckpt"
    plant(path)
    before = dir_state(tmp_path)
    with pytest.raises(InputError, match=needle):
        Checkpoint(path, {"old": "a"})
    with pytest.raises(InputError, match=needle):
        _load(path)
    if needle != "is a directory":
        with pytest.raises(InputError, match=needle):
            _save(path, {"done": []})
    assert dir_state(tmp_path) == before


def test_restore_checkpoint_is_replaced_atomically(tmp_path):
    from tfdata.ops.restore import _load, _save

    path = tmp_path / ".x.tfsnap.restore-old.ckpt"
    _save(path, {"done": [1]})
    _save(path, {"done": [1, 2]})
    assert _load(path) == {"done": [1, 2]} and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
