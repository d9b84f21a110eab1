"""Kill a job's worker and everything it started. The CLIs a worker runs sit in sessions of
their own (io/proc.py), so killing the worker's process group alone would leave them running:
the tree is frozen first (SIGSTOP, so nothing forks or reparents while we look), then every
process group found under the worker is SIGKILLed. Linux /proc; elsewhere only the worker's
own group is killed."""

from __future__ import annotations

import os
import time

try:
    import _signal as _signals
except ImportError:  # pragma: no cover
    import signal as _signals


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, pgid) for every live (non-zombie) process."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in (b"Z", b"X"):
            table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return table


def tree_groups(pid: int) -> set[int]:
    """The process groups of `pid` and all its live descendants."""
    table = _proc_table()
    found, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _pgid) in table.items():
            if ppid == parent and child not in found:
                found.add(child)
                frontier.append(child)
    groups = {table[p][1] for p in found if p in table}
    groups.add(pid)  # the worker leads its own group
    return groups


def kill_tree(pid: int) -> set[int]:
    """Stop, then kill, the worker's tree; returns the process groups it signalled."""
    if not os.path.isdir("/proc/self"):
        _signal_group(pid, _signals.SIGKILL)
        return {pid}
    seen: set[int] = set()
    for _ in range(5):  # freeze until a pass finds no new group
        groups = tree_groups(pid) - seen
        if not groups:
            break
        for group in groups:
            _signal_group(group, _signals.SIGSTOP)
        seen |= groups
    for group in seen:
        _signal_group(group, _signals.SIGKILL)
    end = time.monotonic() + 5
    while time.monotonic() < end and any(_alive(g) for g in seen):
        time.sleep(0.02)
    return seen


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _alive(group: int) -> bool:
    return any(pgid == group for _ppid, pgid in _proc_table().values())
