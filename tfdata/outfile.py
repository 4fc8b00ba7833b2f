"""Output and input files, safely: every file tfdata writes goes through OutputFile.

An output is built in a temporary file beside its target (``.NAME.tmp-PID``, created with
O_EXCL, mode 0600, so no link is followed and no one else's file is reused) and published in one
step at the end. Publishing never replaces what it must not: without --force it uses link(2),
which fails if anything appeared at the target meanwhile (another run, an operator); with
--force it replaces only a regular file. tfdata writes only regular files: a device, FIFO,
socket, directory or symbolic link at the target is refused, --force or not (a forced export
once replaced a machine's /dev/full). Temporary files are registered; SIGTERM/SIGHUP become
the exception ``Terminated`` while one exists, so every abort() runs and nothing is left behind
(an atexit hook is the backstop). Inputs are checked with check_input(): regular files only, so
a FIFO cannot hang a reader that opens its file twice.
"""

from __future__ import annotations

import atexit
import errno
import os
import re
import signal
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .errors import InputError, TargetNotEmpty, TfdataError

_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?:tmp|part\d+)-(?P<pid>\d+)$")


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "FIFO"),
                       (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


# ------------------------------------------------------------------------------ inputs

def check_input(path: str | os.PathLike, follow_links: bool = True) -> Path:
    """Refuse what is not a readable regular file with one line naming it; a FIFO or device
    would block or be consumed by the first of several opens. ``follow_links=False`` for files
    tfdata also writes (checkpoints), which it never writes through a link."""
    path = Path(path)
    try:
        mode = (os.stat if follow_links else os.lstat)(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is a {_kind(mode)}, not a regular file (tfdata reads only regular files)")
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CLOEXEC))
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    return path


# ------------------------------------------------------------------------------ outputs

def _parent(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def check_target(path: str | os.PathLike, force: bool = False, create_parent: bool = False) -> Path:
    """What the real write will check, without writing (``--dry-run`` calls this too): the
    target is absent, or a regular file and ``force``; its directory exists (or, with
    ``create_parent``, its nearest existing ancestor does), is a directory and is writable."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise InputError(f"{path}: a component of the directory {_parent(path)} is not a directory") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot check the output path ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise InputError(f"{path}: is a symbolic link; tfdata writes only regular files and does not follow "
                             "links (remove it or name another path)")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: is a {_kind(st.st_mode)}, not a regular file; tfdata writes only "
                             "regular files (--force does not change that)")
        if not force:
            raise TargetNotEmpty(f"{path}: file exists (use --force to overwrite)")
    parent = _parent(path)
    if create_parent:
        while not os.path.lexists(parent) and parent != parent.parent:
            parent = parent.parent
    try:
        pmode = os.stat(parent).st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: directory {parent} does not exist") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot use directory {parent} ({exc.strerror})") from None
    if not stat.S_ISDIR(pmode):
        raise InputError(f"{path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        why = "read-only file system" if _read_only_fs(parent) else "permission denied"
        raise InputError(f"{path}: directory {parent} is not writable ({why})")
    return path


def check_state_file(path: str | os.PathLike) -> Path:
    """A file tfdata reads back and appends to or replaces (checkpoints): an existing one must be
    a readable regular file, not a link; a new one must be creatable (its directory is made)."""
    if os.path.lexists(path):
        return check_input(path, follow_links=False)
    return check_target(path, create_parent=True)


def make_parent(path: str | os.PathLike) -> None:
    """Create a default output directory (snapshots/); a path the user gave must already exist."""
    parent = _parent(Path(path))
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create directory {parent} ({exc.strerror})") from None


def _read_only_fs(directory: Path) -> bool:
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


class Terminated(BaseException):
    """SIGTERM/SIGHUP while an output is being written: a BaseException like KeyboardInterrupt,
    so no ``except Exception`` swallows it and every abort() on the way out runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"terminated by {signal.Signals(signum).name}; unfinished output removed")


_CAUGHT = (signal.SIGTERM, signal.SIGHUP)
_temps: set[Path] = set()
_previous: dict[int, Any] = {}


def _on_signal(signum: int, frame: object) -> None:
    _remove_temps()  # first: whatever happens on the way out, no temp file outlives us
    raise Terminated(signum)


def _remove_temps() -> None:
    for tmp in list(_temps):
        try:
            tmp.unlink()
        except OSError:
            pass
    _temps.clear()


def _register(tmp: Path) -> None:
    """Install the signal handlers while a temp file exists; leave alone handlers set by others
    (sync run has its own) and anything outside the main thread (signal.signal raises there)."""
    if not _temps and not _previous:
        for signum in _CAUGHT:
            try:
                if signal.getsignal(signum) is signal.SIG_DFL:
                    _previous[signum] = signal.signal(signum, _on_signal)
            except ValueError:  # not the main thread
                pass
    _temps.add(tmp)


def _unregister(tmp: Path) -> None:
    _temps.discard(tmp)
    if not _temps:
        for signum, handler in list(_previous.items()):
            try:
                if signal.getsignal(signum) is _on_signal:
                    signal.signal(signum, handler)
            except ValueError:
                pass
            del _previous[signum]


atexit.register(_remove_temps)


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


class OutputFile:
    """A regular file at ``path``, written in a registered temp beside it and published atomically.

    Usage: ``out = OutputFile(path, force)``; write to ``out.tmp`` (or ``out.open()``); then
    ``out.publish()`` or, on any failure, ``out.abort()`` (idempotent).
    """

    def __init__(self, path: str | os.PathLike, force: bool = False) -> None:
        self.path = Path(path)
        self.force = force
        check_target(self.path, force)
        self.tmp = temp_path(self.path)
        self.fd: int | None = self._create()
        _register(self.tmp)

    def _create(self) -> int:
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC
        for attempt in (1, 2):
            try:
                return os.open(self.tmp, flags, 0o600)
            except FileExistsError:
                # our PID in the name: left by a dead process that had the same PID; a symlink
                # planted there is removed, not followed
                if attempt == 2:
                    raise InputError(f"{self.path}: cannot create the temporary file {self.tmp} (it keeps "
                                     "reappearing)") from None
                try:
                    self.tmp.unlink()
                except OSError:
                    pass
            except OSError as exc:
                raise _failure(exc, self.path, f"cannot create {self.tmp}") from None
        raise AssertionError("unreachable")

    def open(self) -> BinaryIO:
        """The temp file as a binary file object (the OutputFile keeps no descriptor after this)."""
        fd, self.fd = self.fd, None
        return os.fdopen(fd, "wb")

    def close_fd(self) -> None:
        """For writers that reopen ``tmp`` by name (SQLite)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def publish(self) -> Path:
        """Move the finished temp to the target without replacing anything it must not."""
        self.close_fd()
        try:
            if self.force:
                check_target(self.path, force=True)  # still absent or a regular file
                os.replace(self.tmp, self.path)
            else:
                self._link()
        except BaseException:
            self.abort()
            raise
        _unregister(self.tmp)
        return self.path

    def _link(self) -> None:
        try:
            os.link(self.tmp, self.path)
        except FileExistsError:
            raise TargetNotEmpty(f"{self.path}: a file appeared there while tfdata was writing; it was left "
                                 "untouched and nothing was written (use --force to overwrite)") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                raise _failure(exc, self.path, "cannot publish") from None
            # no hard links on this file system: re-check, then rename (a window of microseconds)
            check_target(self.path, force=False)
            os.rename(self.tmp, self.path)
            return
        self.tmp.unlink()

    def abort(self) -> None:
        self.close_fd()
        try:
            self.tmp.unlink()
        except FileNotFoundError:
            pass
        _unregister(self.tmp)


_DISK_ERRNOS = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
                errno.EFBIG: "file too large", errno.EIO: "I/O error", errno.EROFS: "read-only file system"}
_SQLITE_MESSAGES = {"database or disk is full": "no space left on device", "disk I/O error": "I/O error",
                    "attempt to write a readonly database": "read-only file system"}


def _failure(exc: BaseException, path: Path, doing: str = "cannot write", any_os_error: bool = True
             ) -> TfdataError | None:
    """The one-line error for a failure of the file system (not of a source: a refused
    connection is an OSError too, hence ``any_os_error=False`` while streaming)."""
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return TfdataError(f"{path}: {doing} ({_DISK_ERRNOS[exc.errno]}); nothing was written")
    if type(exc).__module__ == "sqlite3":
        for text, why in _SQLITE_MESSAGES.items():
            if text in str(exc):
                return TfdataError(f"{path}: {doing} ({why}); nothing was written")
    if any_os_error and isinstance(exc, OSError):
        return TfdataError(f"{path}: {doing} ({exc.strerror or exc}); nothing was written")
    return None


def raise_write_failure(exc: BaseException, path: str | os.PathLike) -> None:
    """Call in an ``except`` after abort(): a full disk, I/O error or read-only file system
    (OSError, or SQLite's "database or disk is full") becomes one line naming the target;
    anything else returns, for the caller's bare ``raise``."""
    failure = _failure(exc, Path(path), any_os_error=False)
    if failure is not None:
        raise failure from None


@contextmanager
def guarded(out: OutputFile, abort=None) -> Iterator[OutputFile]:
    """Any failure inside aborts (``abort`` or out.abort) and is raised as raise_write_failure says."""
    try:
        yield out
    except BaseException as exc:
        (abort or out.abort)()
        raise_write_failure(exc, out.path)
        raise


# ------------------------------------------------------------------------------ leftovers

def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temps(directory: str | os.PathLike) -> list[dict[str, Any]]:
    """``.NAME.tmp-PID`` / ``.NAME.partN-PID`` files whose process is gone (killed with -9, power
    loss): what a signal handler could not clean. Live writers' temps are not listed."""
    out = []
    for entry in sorted(Path(directory).iterdir()):
        match = _TEMP_NAME.match(entry.name)
        if not match or not entry.is_file() or entry.is_symlink():
            continue
        pid = int(match["pid"])
        if pid_alive(pid):
            continue
        out.append({"path": str(entry), "size_bytes": entry.stat().st_size, "stale_temp": True, "pid": pid,
                    "target": match["name"]})
    return out
