"""What counts a request, inside the process that serves it: three meters, one interface.

A meter is switched on just before the measured call and off right after it, so start-up,
warm-up and the set-up between measured calls (e.g. the unmeasured remove that follows a
measured add) are never counted:

* :class:`InstructionMeter`: user-space instructions, under ``valgrind --tool=callgrind``
  started with collection off; ``on``/``off`` toggle collection through callgrind's client
  requests. Python cannot issue a client request (it is an inline machine-code sequence),
  so a four-line C file is compiled once with ``cc`` into a cache directory and loaded with
  :mod:`ctypes`; that is the only hand-written native code, and it only calls the macros of
  valgrind's own ``callgrind.h``.
* :class:`SyscallMeter`: system calls, under ``strace -f``. ``on``/``off`` issue a marker
  system call (``lseek(-1, MARK, SEEK_SET)``, which fails at once with ``EBADF``); the parent
  counts the calls between the markers in the trace (:func:`count_syscalls`).
* :class:`CpuMeter`: ``time.process_time`` (user + system CPU of this process), no tracer.

Each meter's own cost per on/off pair is measured with an empty body (:func:`calibrate`) and
subtracted, so what is left is the request.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

#: Marker offsets for :class:`SyscallMeter`: MARK_BASE + 2*code (+1 for "off").
MARK_BASE = 7_100_000

_CALLGRIND_HELPER = r"""
#include <valgrind/callgrind.h>
void authkit_cg_start(void) { CALLGRIND_START_INSTRUMENTATION; }
void authkit_cg_toggle(void) { CALLGRIND_TOGGLE_COLLECT; }
void authkit_cg_zero(void) { CALLGRIND_ZERO_STATS; }
void authkit_cg_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""


class MeterError(RuntimeError):
    """A meter cannot work on this machine (missing tool, compiler or header)."""


def cache_dir() -> Path:
    base = os.environ.get("AUTHKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "authkit"
    )
    return Path(base)


def callgrind_helper() -> Path:
    """The compiled client-request helper (built once per source text, then cached)."""
    digest = hashlib.sha256(_CALLGRIND_HELPER.encode()).hexdigest()[:12]
    target = cache_dir() / f"callgrind-helper-{digest}.so"
    if target.exists():
        return target
    if not Path("/usr/include/valgrind/callgrind.h").exists():
        raise MeterError("valgrind's callgrind.h is missing (apt-get install valgrind)")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = target.with_suffix(f".{os.getpid()}.c")
    source.write_text(_CALLGRIND_HELPER)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        subprocess.run(
            ["cc", "-O2", "-shared", "-fPIC", "-o", str(tmp), str(source)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MeterError(f"cannot compile the callgrind helper with cc: {exc}") from exc
    finally:
        source.unlink(missing_ok=True)
    tmp.replace(target)
    return target


class Meter:
    """Counts what happens between :meth:`on` and :meth:`off`; :meth:`close_loop` totals it."""

    name = "meter"

    def begin(self) -> None:
        """Called once, after the app is loaded and before any warm-up."""

    def on(self) -> None:
        raise NotImplementedError

    def off(self) -> None:
        raise NotImplementedError

    def open_loop(self, code: int) -> None:
        """A new measured loop starts (``code`` identifies it)."""

    def close_loop(self, code: int) -> float | None:
        """The loop's total, or None when the parent reads it later (strace)."""
        raise NotImplementedError


class InstructionMeter(Meter):
    name = "instructions"

    def __init__(self, out_file: str) -> None:
        self.lib = ctypes.CDLL(str(callgrind_helper()))
        self.lib.authkit_cg_dump.argtypes = [ctypes.c_char_p]
        self.out_file = out_file
        self.dumps = 0

    def begin(self) -> None:
        self.lib.authkit_cg_start()

    def on(self) -> None:
        self.lib.authkit_cg_toggle()

    off = on

    def open_loop(self, code: int) -> None:
        self.lib.authkit_cg_zero()

    def close_loop(self, code: int) -> float:
        self.lib.authkit_cg_dump(f"loop-{code}".encode())
        self.dumps += 1
        return float(read_callgrind_total(Path(f"{self.out_file}.{self.dumps}")))


def read_callgrind_total(path: Path) -> int:
    with path.open() as handle:
        for line in handle:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise MeterError(f"no totals in {path}")


class SyscallMeter(Meter):
    name = "syscalls"

    def __init__(self) -> None:
        self.code = 0

    @staticmethod
    def _mark(value: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(-1, value, os.SEEK_SET)

    def open_loop(self, code: int) -> None:
        self.code = code

    def on(self) -> None:
        self._mark(MARK_BASE + 2 * self.code)

    def off(self) -> None:
        self._mark(MARK_BASE + 2 * self.code + 1)

    def close_loop(self, code: int) -> None:
        return None


class CpuMeter(Meter):
    name = "cpu"

    def __init__(self) -> None:
        self.total = 0
        self.started = 0

    def open_loop(self, code: int) -> None:
        self.total = 0

    def on(self) -> None:
        self.started = time.process_time_ns()

    def off(self) -> None:
        self.total += time.process_time_ns() - self.started

    def close_loop(self, code: int) -> float:
        return self.total / 1000.0  # microseconds


_SYSCALL_LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. )?([a-z_0-9]+)\(")
_MARK = re.compile(r"lseek\(-1, (\d+), SEEK_SET\)")


def count_syscalls(trace: Path) -> dict[int, Counter[str]]:
    """System calls between each loop's on/off markers in an ``strace -f`` trace, by name.

    A call split by another thread (``<unfinished ...>`` then ``<... x resumed>``) counts
    once; the markers themselves are not counted.
    """
    counts: dict[int, Counter[str]] = {}
    active: int | None = None
    with trace.open(errors="replace") as handle:
        for line in handle:
            mark = _MARK.search(line)
            if mark:
                value = int(mark.group(1)) - MARK_BASE
                if value >= 0:
                    code, is_off = divmod(value, 2)
                    active = None if is_off else code
                    counts.setdefault(code, Counter())
                continue
            if active is None or "resumed>" in line:
                continue
            match = _SYSCALL_LINE.match(line)
            if match:
                counts[active][match.group(2)] += 1
    return counts


def calibrate(meter: Meter, code: int, n: int) -> float | None:
    """The meter's own cost of ``n`` empty on/off pairs (subtracted from every loop)."""
    return measure_loop(meter, code, n, lambda: None)


def measure_loop(
    meter: Meter,
    code: int,
    n: int,
    call: Callable[[], object],
    between: Callable[[], object] | None = None,
) -> float | None:
    """Run ``call`` ``n`` times with the meter on around each call only."""
    meter.open_loop(code)
    for _ in range(n):
        meter.on()
        call()
        meter.off()
        if between is not None:
            between()
    return meter.close_loop(code)
