#!/usr/bin/env python3
"""Writes a linker symbol-ordering file: the functions that ran in the given callgrind profiles and that the binary
defines, in the order the profiles first name them (startup first). Used by scripts/orderfile.sh.

usage: orderfile.py BINARY OUTPUT CALLGRIND_FILE...
"""
import re, subprocess, sys


def main():
    binary, output, profiles = sys.argv[1], sys.argv[2], sys.argv[3:]
    defined = {}
    nm = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True)
    for line in nm.stdout.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "tTwW":
            defined[fields[3]] = int(fields[1], 16)
    ordered, seen = [], set()
    for profile in profiles:
        with open(profile, errors="replace") as f:
            for line in f:
                if not line.startswith(("fn=", "cfn=")):
                    continue
                match = re.match(r"c?fn=(?:\(\d+\) )?(\S+)", line)
                if match and match.group(1) in defined and match.group(1) not in seen:
                    seen.add(match.group(1))
                    ordered.append(match.group(1))
    with open(output, "w") as f:
        f.write("\n".join(ordered) + "\n")
    size = sum(defined[name] for name in ordered)
    print(f"{output}: {len(ordered)} functions, {size / 1048576:.2f} MiB of code "
          f"(of {sum(defined.values()) / 1048576:.1f} MiB in the binary)")


if __name__ == "__main__":
    main()
