#!/usr/bin/env python3
"""Replays kustomize's own test cases against `petrel build`, with `kubectl kustomize` as the oracle.

Reads a kustomize source tree at run time (`api/krusty/*_test.go` and `examples/*.md`), extracts each case's input
files into a temporary directory, builds it with both tools and compares the parsed output (document by document, in
order) and, separately, the bytes. A case where kubectl fails passes only if Petrel fails too. Nothing extracted is
ever written into this repository: the cases live in a temporary directory removed at exit.

    scripts/krusty-replay.py [SRC] [--petrel BIN] [--failures FILE] [--filter REGEX] [--jobs N] [--list]

SRC is a kustomize checkout (default: $PETREL_KUSTOMIZE_SRC), or a bare git directory with --ref (e.g.
`--ref kustomize/v5.5.0`, default $PETREL_KUSTOMIZE_REF), archived into the temporary directory. The Go tests are run
by a small interpreter of the Go subset they use (`krusty_replay/`): harness calls write files, `th.Run` records a
case; cases needing plugins, helm, the network or values the interpreter cannot compute are counted as not extracted.
"""

import argparse
import collections
import concurrent.futures
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from krusty_replay import examples  # noqa: E402
from krusty_replay.interp import Interpreter  # noqa: E402

try:
    import yaml
except ImportError:  # pragma: no cover - bootstrap installs PyYAML into the venv
    sys.exit("krusty-replay: needs PyYAML (run `make bootstrap`, then use .petrel/venv/bin/python)")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 120
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def source_tree(args, scratch):
    src = args.src or os.environ.get("PETREL_KUSTOMIZE_SRC")
    if not src:
        sys.exit("krusty-replay: pass a kustomize source checkout (or set PETREL_KUSTOMIZE_SRC)")
    if os.path.isdir(os.path.join(src, "api", "krusty")):
        return src
    if args.ref and os.path.exists(os.path.join(src, "HEAD")):
        out = os.path.join(scratch, "kustomize-src")
        os.makedirs(out)
        archive = subprocess.run(["git", "--git-dir", src, "archive", args.ref, "api/krusty", "examples"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", out], input=archive, check=True)
        return out
    sys.exit(f"krusty-replay: {src} has no api/krusty (a bare git directory needs --ref TAG)")


def extract(src):
    """All cases, in a stable order: krusty tests by file then test name, then the examples."""
    cases = []
    test_files = sorted(glob.glob(os.path.join(src, "api", "krusty", "*_test.go")))
    interpreter = Interpreter([open(f, encoding="utf-8").read() for f in test_files],
                              directory=os.path.join(src, "api", "krusty"))
    owner = {}
    for f in test_files:
        for name in re.findall(r"^func (Test\w+)\(", open(f, encoding="utf-8").read(), re.M):
            owner[name] = os.path.basename(f)
    failed_tests = []
    for test in interpreter.tests():
        try:
            found = interpreter.run_test(test)
        except Exception as error:  # noqa: BLE001 - a test the subset cannot run is reported, not fatal
            failed_tests.append((test, f"{type(error).__name__}: {error}"))
            continue
        for case in found:
            if not case.taint and any(isinstance(text, str)
                                      and re.search(r"^\s*-\s*(https?://|git@|github\.com/)", text, re.M)
                                      for text in case.files.values()):
                case.taint = "remote resource (needs the network)"
            case.name = f"krusty/{owner.get(test, '?')}:{case.name}"
            cases.append(case)
    for md in sorted(glob.glob(os.path.join(src, "examples", "*.md"))):
        text = open(md, encoding="utf-8").read()
        cases += examples.extract(f"examples/{os.path.basename(md)}", text)
    return cases, failed_tests


def materialize(case, directory):
    os.makedirs(directory)
    # A `.git` marker makes the case directory Petrel's build root (as a Flux source root would be).
    os.makedirs(os.path.join(directory, ".git"))
    for path, content in case.files.items():
        target = os.path.join(directory, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
    build = os.path.join(directory, case.path.lstrip("/"))
    os.makedirs(build, exist_ok=True) if not os.path.exists(build) else None
    return build


def run(command, home):
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT,
                              env={"HOME": home, "PATH": "/usr/bin:/bin"})
        return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {TIMEOUT} s"


def parse(text):
    try:
        return [d for d in yaml.load_all(text, Loader=LOADER) if d is not None], None
    except yaml.YAMLError as error:
        return None, str(error).splitlines()[0]


def normalize_error(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    line = lines[-1] if lines else "(no message)"
    line = re.sub(r"^[EIW]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ", "", line)
    line = re.sub(r"^Error: ", "", line)
    # Keep short quoted words (field names), hide names and paths.
    line = re.sub(r"'([^']*)'|\"([^\"]*)\"|`([^`]*)`",
                  lambda m: m.group(0) if re.fullmatch(r"[A-Za-z.]{1,30}", "".join(g or "" for g in m.groups()))
                  else "'…'", line)
    line = re.sub(r"/tmp/[^\s:]*", "PATH", line)
    line = re.sub(r"\d+", "N", line)
    return line[:110]


def features(case):
    """The kustomization fields a case uses (to group its failures)."""
    keys = set()
    for path, content in case.files.items():
        if os.path.basename(path) not in ("kustomization.yaml", "kustomization.yml", "Kustomization") \
                or not isinstance(content, str):
            continue
        try:
            document = yaml.load(content, Loader=LOADER)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict):
            keys.update(k for k in document if k not in ("apiVersion", "kind", "resources", "bases"))
            if document.get("kind") == "Component":
                keys.add("kind:Component")
    return sorted(keys)


def judge(case, directory, petrel, kubectl, home):
    build = materialize(case, directory)
    restrictor = case.options.get("LoadRestrictions", "LoadRestrictionsRootOnly")
    oracle = [kubectl, "kustomize", build]
    if restrictor != "LoadRestrictionsRootOnly":
        oracle += ["--load-restrictor", restrictor]
    k_code, k_out, k_err = run(oracle, home)
    p_code, p_out, p_err = run([petrel, "build", build] + oracle[3:], home)
    result = {"name": case.name, "parsed": False, "bytes": False, "kubectl_error": None, "petrel_error": None,
              "diff": "", "features": features(case), "expected_error": case.expect_error}
    if k_code != 0:
        result["kubectl_error"] = k_err.strip() or f"exit {k_code}"
    if p_code != 0:
        result["petrel_error"] = p_err.strip() or f"exit {p_code}"
    if k_code != 0 and p_code != 0:
        result.update(parsed=True, bytes=True, klass="both fail")
        return result
    if k_code != 0:
        result["klass"] = "petrel builds where kubectl fails: " + normalize_error(k_err)
        return result
    if p_code != 0:
        result["klass"] = "petrel fails: " + normalize_error(p_err)
        return result
    theirs, k_parse_error = parse(k_out)
    mine, p_parse_error = parse(p_out)
    result["bytes"] = k_out == p_out
    result["parsed"] = theirs is not None and theirs == mine
    if result["parsed"]:
        result["klass"] = "pass" if result["bytes"] else "bytes differ"
    elif mine is not None and theirs is not None and sorted(map(repr, mine)) == sorted(map(repr, theirs)):
        result["klass"] = "document order differs"
    elif p_parse_error:
        result["klass"] = "petrel output is not YAML"
    else:
        result["klass"] = "output differs"
    if not result["bytes"]:
        result["diff"] = "".join(difflib.unified_diff(k_out.splitlines(True), p_out.splitlines(True),
                                                      "kubectl", "petrel", n=2))[:20000]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", nargs="?", help="kustomize source checkout (default $PETREL_KUSTOMIZE_SRC)")
    parser.add_argument("--ref", default=os.environ.get("PETREL_KUSTOMIZE_REF"),
                        help="tag or commit when SRC is a bare git directory (default $PETREL_KUSTOMIZE_REF)")
    parser.add_argument("--petrel", default=os.environ.get("PETREL_BIN", os.path.join(REPO, ".build/debug/petrel")))
    parser.add_argument("--kubectl", default="/usr/bin/kubectl")
    parser.add_argument("--filter", help="only cases whose name matches this regular expression")
    parser.add_argument("--failures", help="write every failing case with its diff or errors to this file")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the extracted cases and stop")
    parser.add_argument("--keep", help="materialize the selected cases into this directory (outside the repo)")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="petrel-krusty-")
    try:
        src = source_tree(args, scratch)
        cases, failed_tests = extract(src)
        if args.filter:
            cases = [c for c in cases if re.search(args.filter, c.name)]
        usable = [c for c in cases if not c.taint]
        skipped = collections.Counter(re.sub(r"\(.*", "", c.taint) for c in cases if c.taint)
        print(f"extracted {len(usable)} of {len(cases)} cases "
              f"({len(failed_tests)} tests the replay could not run)")
        for reason, count in skipped.most_common():
            print(f"  not extracted {count:4d}  {reason}")
        if args.list:
            for c in cases:
                print(("SKIP " if c.taint else "     ") + c.name + (f"  [{c.taint}]" if c.taint else ""))
            return 0
        if args.keep:
            keep = os.path.abspath(args.keep)
            if keep == REPO or keep.startswith(REPO + os.sep):
                sys.exit("krusty-replay: --keep must be outside the repository (extracted data is never committed)")
            for index, case in enumerate(usable):
                print(materialize(case, os.path.join(keep, f"{index:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', case.name)}")))
            return 0
        if not os.access(args.petrel, os.X_OK):
            sys.exit(f"krusty-replay: no petrel binary at {args.petrel} (swift build --product petrel, or --petrel)")
        home = os.path.join(scratch, "home")
        os.makedirs(home)
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = [pool.submit(judge, c, os.path.join(scratch, "cases", str(i)), args.petrel, args.kubectl, home)
                       for i, c in enumerate(usable)]
            results = [f.result() for f in futures]
        report(results, args.failures)
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def report(results, failures_file):
    total = len(results)
    parsed = sum(r["parsed"] for r in results)
    exact = sum(r["bytes"] for r in results)
    both_fail = sum(r["klass"] == "both fail" for r in results)
    pct = (lambda n: f"{100.0 * n / total:.1f} %") if total else (lambda n: "-")
    print(f"parsed equal: {parsed}/{total} ({pct(parsed)}), of which {both_fail} fail in both")
    print(f"byte equal:   {exact}/{total} ({pct(exact)})")
    classes = collections.Counter(r["klass"] for r in results if not r["parsed"])
    if classes:
        print("failure classes (parsed):")
        for klass, count in classes.most_common():
            print(f"  {count:4d}  {klass}")
    fields = collections.Counter(f for r in results if not r["parsed"] for f in r["features"])
    if fields:
        print("kustomization fields in failing cases: "
              + ", ".join(f"{k} {v}" for k, v in fields.most_common(20)))
    only_bytes = sum(1 for r in results if r["parsed"] and not r["bytes"])
    print(f"cases equal after parsing but not byte for byte: {only_bytes}")
    if failures_file:
        with open(failures_file, "w", encoding="utf-8") as out:
            for r in results:
                if r["parsed"] and r["bytes"]:
                    continue
                out.write(f"=== {r['name']}  [{r['klass']}]  fields: {', '.join(r['features'])}\n")
                if r["kubectl_error"]:
                    out.write(f"kubectl error: {r['kubectl_error'][-2000:]}\n")
                if r["petrel_error"]:
                    out.write(f"petrel error: {r['petrel_error'][-2000:]}\n")
                out.write(r["diff"] + "\n")
        print(f"failures written to {failures_file}")


if __name__ == "__main__":
    sys.exit(main())
