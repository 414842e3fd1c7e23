"""Memory bounds: refuse an option whose arrays cannot fit before allocating them.

An option such as ``--image_size=100000`` or ``--num_particles=1000000000`` would otherwise grow
the process until the kernel kills it, with no message. Callers estimate what they will allocate
and call :func:`check_fits`, which compares it with the memory the machine has available now.
"""

from __future__ import annotations

import os

from repair.errors import ConfigError

MEMINFO = "/proc/meminfo"
# Leave room for the interpreter, TensorFlow and the page cache: refuse above this share.
USABLE_SHARE = 0.8


def available_memory() -> int:
    """Bytes of memory available to a new allocation: MemAvailable from /proc/meminfo where the
    kernel reports it, else free physical pages (os.sysconf); psutil is not a dependency."""
    try:
        with open(MEMINFO, encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") or os.sysconf("SC_PHYS_PAGES")
        return int(pages) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 2**62  # unknown platform: do not refuse on a guess


def human_bytes(count: float) -> str:
    """``1536`` -> ``'1.5 KB'`` (powers of 1024, as free(1) prints)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(count) < 1024 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} PB"


def check_fits(option: str, estimate: float, available: int | None = None) -> None:
    """Raise ConfigError naming ``option`` (e.g. ``'--image_size=100000'``) when ``estimate``
    bytes exceed the usable share of the available memory."""
    available = available_memory() if available is None else available
    if estimate > USABLE_SHARE * available:
        raise ConfigError(
            f"{option} needs about {human_bytes(estimate)} of memory; this machine has "
            f"{human_bytes(available)} available"
        )
