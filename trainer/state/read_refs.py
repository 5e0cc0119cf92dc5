"""The refs a `git:` state store fetches into: one per store, so runs sharing a clone never
lock the same ref, and what a killed run leaves behind is pruned by the next one.

A store fetches the state branch into its own `refs/trainer/state-reads/<stamp>-<host>-
<pid>-<token>`, never into `refs/remotes/origin/*` (which a second run, or the user's
`git fetch`, may be updating at the same moment). When the store is closed, or garbage
collected, or the process exits, the last commit it saw is copied to the shared
`refs/trainer/state/<branch>`, best effort, so that the next run's fetch only downloads
what is new, and its own ref is deleted. Refs of runs that were killed are deleted by the
next store opened in the clone: those of this host whose process is gone, and any older
than a week.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterable

import git

READS = "refs/trainer/state-reads"
STALE_AFTER = 7 * 24 * 3600.0
"""A read ref older than this is pruned even if its process looks alive (pids are reused,
and another host's processes cannot be seen); a run that still uses it fetches again."""
_NAME = re.compile(r"^(?P<stamp>\d+)-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]+$")


def anchor_ref(branch: str) -> str:
    """The shared ref holding the last state commit a finished run saw in this clone."""
    return f"refs/trainer/state/{branch}"


def this_host() -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", socket.gethostname())[:40] or "host"


def new_read_ref() -> str:
    """A ref name no other store, in this process or another, will use."""
    return f"{READS}/{int(time.time())}-{this_host()}-{os.getpid()}-{secrets.token_hex(4)}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def stale_read_refs(
    refs: Iterable[str],
    *,
    now: float,
    host: str,
    alive: Callable[[int], bool] = process_alive,
) -> list[str]:
    """The read refs in `refs` left by runs that are gone (see the module docstring)."""
    stale = []
    for ref in refs:
        match = _NAME.match(ref.removeprefix(f"{READS}/"))
        if match is None:
            continue
        old = now - int(match["stamp"]) > STALE_AFTER
        if old or (match["host"] == host and not alive(int(match["pid"]))):
            stale.append(ref)
    return stale


def prune_read_refs(cmd: git.Git) -> None:
    """Delete the read refs of runs that are gone: one listing, one deletion each."""
    listing = str(cmd.for_each_ref("--format=%(refname)", READS))
    for ref in stale_read_refs(listing.split(), now=time.time(), host=this_host()):
        with contextlib.suppress(git.GitCommandError):  # another run pruned it first
            cmd.update_ref("-d", ref)


def release_read_ref(cmd: git.Git, ref: str, anchor: str) -> None:
    """Hand the last commit seen to the anchor (best effort), then delete the read ref.

    Runs at close, on garbage collection or at exit, so it holds no reference to the
    store and never raises (the clone may even be gone).
    """
    with contextlib.suppress(git.GitError, OSError):
        seen = str(cmd.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}"))
        cmd.update_ref(anchor, seen)  # fails, harmlessly, while another run moves it
    with contextlib.suppress(git.GitError, OSError):
        cmd.update_ref("-d", ref)
