#!/usr/bin/env python3
"""Sizes of the release binaries, as built (unstripped) and stripped (`strip` into a temporary copy), with the
shared libraries each one still needs at run time.

Usage: binary_sizes.py BINARY...
"""
import os, subprocess, sys, tempfile

def mib(n):
    return n / (1024 * 1024)

def main():
    print(f"{'binary':28} {'unstripped MiB':>15} {'stripped MiB':>13}  shared libraries (non-libc)")
    for path in sys.argv[1:]:
        if not os.path.exists(path):
            print(f"{os.path.basename(path):28} (not built)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            stripped = os.path.join(tmp, "stripped")
            subprocess.run(["strip", "-o", stripped, path], check=True)
            stripped_size = os.path.getsize(stripped)
        libs = subprocess.run(["ldd", path], capture_output=True, text=True).stdout.split("\n")
        names = [l.split()[0] for l in libs if "=>" in l]
        base = {"libc.so.6", "libm.so.6", "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1"}
        others = [n for n in names if n not in base]
        print(f"{os.path.basename(path):28} {mib(os.path.getsize(path)):15.1f} {mib(stripped_size):13.1f}  "
              f"{len(names)} ({', '.join(others[:6])}{', ...' if len(others) > 6 else ''})")

if __name__ == "__main__":
    main()
