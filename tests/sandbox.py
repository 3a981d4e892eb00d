"""Run a command under a unit's seccomp settings, the way systemd applies them,
on a machine where systemd is not PID 1:

    python tests/sandbox.py UNIT_FILE COMMAND [ARG...]

reads the unit's SystemCallFilter= lines (groups expanded by
`systemd-analyze syscall-filter`), SystemCallErrorNumber=,
SystemCallArchitectures=native, MemoryDenyWriteExecute=,
RestrictNamespaces=yes and RestrictAddressFamilies=, loads one seccomp filter for each (the kernel
takes the strictest answer of all, as with systemd's), sets no_new_privs and
execs COMMAND. Uses libseccomp (a dependency of systemd) through ctypes.

What systemd does besides (ProtectProc=, ProcSubset=, the mount namespace,
the user, the capabilities) is left to the caller (unshare, mount, setpriv).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import socket
import subprocess
import sys

ACT_ALLOW = 0x7FFF0000
CMP_EQ, CMP_MASKED_EQ = 4, 7
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
CLONE_NEW = (0x80, 0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)


def act_errno(number: int) -> int:
    return 0x00050000 | (number & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def settings(unit: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in open(unit, encoding="utf-8"):
        match = re.match(r"^(\w+)=(.*)$", line.strip())
        if match:
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    return found


def expand(names: list[str], seen: set[str] | None = None) -> set[str]:
    """Syscall names of NAMES, groups (@x) expanded recursively."""
    seen = set() if seen is None else seen
    calls: set[str] = set()
    for name in names:
        if not name.startswith("@"):
            calls.add(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True,
                             check=True).stdout
        members = [line.strip() for line in out.splitlines()[1:]
                   if line.strip() and not line.strip().startswith("#")]
        calls |= expand(members, seen)
    return calls


def allowed_syscalls(lines: list[str]) -> set[str] | None:
    """systemd's rule: the first line that is not ~ starts an allow list; ~ lines then remove."""
    allowed: set[str] | None = None
    denied: set[str] = set()
    for line in lines:
        if not line:
            allowed, denied = None, set()
            continue
        if line.startswith("~"):
            names = expand(line[1:].split())
            if allowed is None:
                denied |= names
            else:
                allowed -= names
        else:
            names = expand(line.split())
            allowed = names if allowed is None else allowed | names
    return allowed


def main(argv: list[str]) -> None:
    unit, command = argv[0], argv[1:]
    found = settings(unit)
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]

    def rule(ctx, action: int, name: str, *cmps: tuple[int, int, int, int]) -> None:
        number = lib.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            return  # not on this architecture
        array = (ArgCmp * max(len(cmps), 1))(*[ArgCmp(*c) for c in cmps])
        code = lib.seccomp_rule_add_array(ctx, action, number, len(cmps), array)
        if code < 0 and code != -errno.EEXIST:
            raise OSError(-code, f"seccomp_rule_add {name}")

    def load(ctx) -> None:
        code = lib.seccomp_load(ctx)
        if code < 0:
            raise OSError(-code, "seccomp_load")
        lib.seccomp_release(ctx)

    error = act_errno(getattr(errno, (found.get("SystemCallErrorNumber") or ["EPERM"])[-1]))
    allowed = allowed_syscalls(found.get("SystemCallFilter", []))  # before any filter: it runs systemd-analyze
    if (found.get("MemoryDenyWriteExecute") or ["no"])[-1] == "yes":
        ctx = lib.seccomp_init(ACT_ALLOW)
        eperm = act_errno(errno.EPERM)
        for name in ("mmap", "mmap2"):
            rule(ctx, eperm, name, (2, CMP_MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE))
        for name in ("mprotect", "pkey_mprotect"):
            rule(ctx, eperm, name, (2, CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC))
        rule(ctx, eperm, "shmat", (2, CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC))
        load(ctx)
    if (found.get("RestrictNamespaces") or ["no"])[-1] == "yes":
        ctx = lib.seccomp_init(ACT_ALLOW)
        eperm = act_errno(errno.EPERM)
        for flag in CLONE_NEW:
            for name in ("clone", "unshare"):  # x86-64's clone has the flags first
                rule(ctx, eperm, name, (0, CMP_MASKED_EQ, flag, flag))
        rule(ctx, eperm, "setns")
        rule(ctx, act_errno(errno.ENOSYS), "clone3")  # its flags are in memory: glibc falls back to clone
        load(ctx)
    families = " ".join(found.get("RestrictAddressFamilies", [])).split()
    if families and not families[0].startswith("~"):
        keep = {int(getattr(socket, name)) for name in families}
        ctx = lib.seccomp_init(ACT_ALLOW)
        for family in range(64):
            if family not in keep:
                rule(ctx, act_errno(errno.EAFNOSUPPORT), "socket", (0, CMP_EQ, family, 0))
        load(ctx)
    # Last, as systemd does: the allow list has no seccomp() for more filters.
    if allowed is not None:
        ctx = lib.seccomp_init(error)  # native architecture only: SystemCallArchitectures=native
        for name in sorted(allowed):
            rule(ctx, ACT_ALLOW, name)
        load(ctx)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
