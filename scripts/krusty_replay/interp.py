"""Runs the parsed krusty tests (see `gosubset.py`) far enough to record each `th.Run` as a case.

Values: Python str/int/bool/None/list/dict, `Struct` for struct literals, `Closure` for Go functions, `Opaque` for
anything this subset does not model (using one where a file name or content is needed marks the case unextractable).
"""

import posixpath
import re

from .gosubset import parse_file


class Opaque:
    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<opaque {self.what}>"


class Struct(dict):
    pass


class Closure:
    def __init__(self, name, params, body, env, results=()):
        self.name, self.params, self.body, self.env = name, params, body, env
        self.results = results  # named results, returned by a bare `return`


class Return(Exception):
    def __init__(self, values):
        self.values = values


class Break(Exception):
    pass


class Continue(Exception):
    pass


class Unextractable(Exception):
    pass


class FS:
    """The files a test wrote, keyed by absolute path ("/" is the test's root)."""

    def __init__(self):
        self.files = {}
        self.dirs = set()
        self.taint = None

    def write(self, path, content):
        if not isinstance(path, str) or not isinstance(content, (str, bytes)):
            self.taint = self.taint or f"file written from a value the replay cannot compute ({path!r})"
            return
        self.files[norm(path)] = content


def norm(path):
    return posixpath.normpath(posixpath.join("/", path))


class Harness:
    def __init__(self, fs, enhanced=False):
        self.fs, self.enhanced = fs, enhanced


class Options(Struct):
    pass


def default_options():
    return Options(LoadRestrictions="LoadRestrictionsRootOnly", PluginConfig=None, Reorder="none",
                   AddManagedbyLabel=False)


class Case:
    def __init__(self, name, files, path, options, expect_error, taint):
        self.name, self.files, self.path, self.options = name, files, path, options
        self.expect_error, self.taint = expect_error, taint


def go_eq(a, b):
    zero = (None, "", 0, False)
    if a in zero and b in zero and not isinstance(a, Opaque) and not isinstance(b, Opaque):
        return (a is None or b is None) or a == b
    return a == b


def sprintf(fmt, args):
    out, i, k = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            m = re.compile(r"%[-+# 0]*\d*(\.\d+)?([a-zA-Z%])").match(fmt, i)
            verb = m.group(2)
            if verb == "%":
                out.append("%")
            else:
                a = args[k] if k < len(args) else ""
                k += 1
                if isinstance(a, Opaque):
                    return a
                if verb == "q":
                    out.append('"' + str(a).replace("\\", "\\\\").replace('"', '\\"') + '"')
                elif isinstance(a, bool):
                    out.append("true" if a else "false")
                else:
                    out.append(str(a))
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Interpreter:
    """One package of test files; `run_test(name)` returns the cases that test records."""

    def __init__(self, sources, directory=None):
        self.directory = directory
        self.globals = {}
        self.funcs = {}
        self.decls = []
        for src in sources:
            for decl in parse_file(src):
                if decl[0] == "func":
                    self.funcs[decl[1]] = decl
                self.decls.append(decl)
        for decl in self.decls:
            if decl[0] == "vars":
                for names, _, values in decl[1]:
                    for i, n in enumerate(names):
                        try:
                            self.globals[n] = self.eval(values[i], self.globals) if i < len(values) else None
                        except Exception as e:  # noqa: BLE001 - a global we cannot compute stays opaque
                            self.globals[n] = Opaque(f"global {n}: {e}")
        for name, decl in self.funcs.items():
            self.globals.setdefault(name, Closure(name, decl[2], decl[3], self.globals, decl[4]))

    def tests(self):
        return [n for n in self.funcs if n.startswith("Test")]

    def run_test(self, name):
        self.cases = []
        self.names = [name]
        self.counter = {}
        self.current_taint = None
        decl = self.funcs[name]
        env = {"__parent__": self.globals, "t": Opaque("t")}
        try:
            self.exec_block(decl[3], env)
        except Return:
            pass
        return self.cases

    # ---- environment
    def lookup(self, env, name):
        e = env
        while e is not None:
            if name in e:
                return e[name]
            e = e.get("__parent__")
        return _MISSING

    def assign(self, env, name, value, define):
        if name == "_":
            return
        if define:
            env[name] = value
            return
        e = env
        while e is not None:
            if name in e:
                e[name] = value
                return
            e = e.get("__parent__")
        env[name] = value

    # ---- statements
    def exec_block(self, stmts, env):
        for s in stmts:
            self.exec(s, env)

    def exec(self, s, env):
        kind = s[0]
        if kind == "expr":
            self.eval(s[1], env)
        elif kind == "assign":
            self.exec_assign(s, env)
        elif kind == "vars":
            for names, _, values in s[1]:
                vals = [self.eval(v, env) for v in values]
                if len(vals) == 1 and len(names) > 1 and isinstance(vals[0], tuple):
                    vals = list(vals[0])
                for i, n in enumerate(names):
                    self.assign(env, n, vals[i] if i < len(vals) else None, True)
        elif kind == "if":
            inner = {"__parent__": env}
            if s[1]:
                self.exec(s[1], inner)
            cond = self.eval(s[2], inner)
            if isinstance(cond, Opaque):
                if _mentions_run(s[3]) or (s[4] and _mentions_run(s[4])):
                    self.current_taint = self.current_taint or f"condition the replay cannot decide: {cond}"
                return
            if cond:
                self.exec_block(s[3], {"__parent__": inner})
            elif s[4]:
                self.exec_block(s[4], {"__parent__": inner})
        elif kind == "for":
            self.exec_for(s, env)
        elif kind == "block":
            self.exec_block(s[1], {"__parent__": env})
        elif kind == "return":
            vals = [self.eval(v, env) for v in s[1]]
            raise Return(vals)
        elif kind == "break":
            raise Break()
        elif kind == "continue":
            raise Continue()
        elif kind == "unparsed":
            text = " ".join(str(t) for t in s[1])
            if re.search(r"\bth\b|Write|Run", text):
                self.current_taint = self.current_taint or f"statement the replay cannot parse: {text[:80]}"
        elif kind == "incdec":
            value = self.eval(s[1], env)
            if isinstance(value, int) and s[1][0] == "id":
                self.assign(env, s[1][1], value + s[2], False)
        elif kind == "range":
            raise Unextractable("range outside for")

    def exec_assign(self, s, env):
        _, op, lhs, rhs = s
        vals = [self.eval(v, env) for v in rhs]
        if len(vals) == 1 and len(lhs) > 1:
            vals = list(vals[0]) if isinstance(vals[0], tuple) else [vals[0]] + [None] * (len(lhs) - 1)
        for target, v in zip(lhs, vals):
            if isinstance(v, tuple):
                v = v[0]
            if op in ("+=", "-="):
                cur = self.eval(target, env)
                v = (cur + v) if op == "+=" and not isinstance(cur, Opaque) and not isinstance(v, Opaque) \
                    else Opaque("arithmetic")
            if target[0] == "id":
                self.assign(env, target[1], v, op == ":=")
            elif target[0] == "sel":
                obj = self.eval(target[1], env)
                if isinstance(obj, dict):
                    obj[target[2]] = v
            elif target[0] == "index":
                obj = self.eval(target[1], env)
                key = self.eval(target[2], env)
                if isinstance(obj, (dict, list)) and not isinstance(key, Opaque):
                    obj[key] = v

    def exec_for(self, s, env):
        header, body = s[1], s[2]
        if header[0] == "classic":
            self.exec_classic_for(header, body, env)
            return
        if header[0] != "range":
            if _mentions_run(body):
                self.current_taint = self.current_taint or "loop form the replay does not run"
            return
        _, lhs, coll_expr = header
        coll = self.eval(coll_expr, env)
        if isinstance(coll, dict):
            items = list(coll.items())
        elif isinstance(coll, list):
            items = list(enumerate(coll))
        elif isinstance(coll, int):
            items = [(i, i) for i in range(coll)]
        else:
            if _mentions_run(body):
                self.current_taint = self.current_taint or f"range over {coll}"
            return
        for k, v in items:
            inner = {"__parent__": env}
            if len(lhs) >= 1 and lhs[0][0] == "id":
                inner[lhs[0][1]] = k
            if len(lhs) >= 2 and lhs[1][0] == "id":
                inner[lhs[1][1]] = v
            try:
                self.exec_block(body, inner)
            except Break:
                break
            except Continue:
                continue

    def exec_classic_for(self, header, body, env):
        _, init, cond, post = header
        loop = {"__parent__": env}
        if init:
            self.exec(init, loop)
        for _ in range(10000):  # bounded: a test's loops are small
            if cond is not None:
                value = self.eval(cond, loop)
                if isinstance(value, Opaque):
                    self.current_taint = self.current_taint or "loop condition the replay cannot decide"
                    return
                if not value:
                    return
            try:
                self.exec_block(body, {"__parent__": loop})
            except Break:
                return
            except Continue:
                pass
            if post:
                self.exec(post, loop)

    # ---- expressions
    def eval(self, e, env):
        kind = e[0]
        if kind == "lit":
            return e[1]
        if kind == "id":
            v = self.lookup(env, e[1])
            if v is not _MISSING:
                return v
            return {"nil": None, "true": True, "false": False}.get(e[1], Opaque(e[1]))
        if kind == "sel":
            return self.eval_sel(e, env)
        if kind == "call":
            return self.eval_call(e, env)
        if kind == "bin":
            return self.eval_bin(e, env)
        if kind == "un":
            v = self.eval(e[2], env)
            if e[1] == "!":
                return Opaque("!") if isinstance(v, Opaque) else not v
            if e[1] == "-" and isinstance(v, (int, float)):
                return -v
            return v
        if kind == "comp":
            return self.eval_comp(e, env)
        if kind == "funclit":
            return Closure("func literal", e[1], e[2], env)
        if kind == "conv":
            return self.eval(e[2], env)
        if kind == "spread":
            return self.eval(e[1], env)
        if kind == "index":
            coll, key = self.eval(e[1], env), self.eval(e[2], env)
            if isinstance(coll, dict):
                return coll.get(key)
            if isinstance(coll, (list, str)) and isinstance(key, int) and 0 <= key < len(coll):
                return coll[key]
            return Opaque("index")
        if kind == "slice":
            coll = self.eval(e[1], env)
            lo = self.eval(e[2], env) if e[2] else None
            hi = self.eval(e[3], env) if e[3] else None
            if isinstance(coll, (list, str)):
                return coll[lo:hi]
            return Opaque("slice")
        return Opaque(kind)

    def eval_bin(self, e, env):
        op = e[1]
        a = self.eval(e[2], env)
        if op == "&&" and a is False:
            return False
        if op == "||" and a is True:
            return True
        b = self.eval(e[3], env)
        if op in ("==", "!="):
            if isinstance(a, Opaque) or isinstance(b, Opaque):
                return Opaque(op)
            r = go_eq(a, b)
            return r if op == "==" else not r
        if isinstance(a, Opaque) or isinstance(b, Opaque):
            return Opaque(op)
        if op == "+":
            if isinstance(a, str) or isinstance(b, str):
                return (a or "") + (b or "")
            return a + b
        if op in ("&&", "||"):
            return bool(b)
        try:
            return {"-": lambda: a - b, "*": lambda: a * b, "<": lambda: a < b, ">": lambda: a > b,
                    "<=": lambda: a <= b, ">=": lambda: a >= b}[op]()
        except (KeyError, TypeError):
            return Opaque(op)

    def eval_comp(self, e, env):
        _, ty, elems = e
        is_map = ty is not None and ty[0] == "map"
        keyed = elems and elems[0][0] is not None
        if is_map or (keyed and ty is None and elems[0][0][0] != "id"):
            out = {}
            for k, v in elems:
                out[self.eval(k, env) if k is not None else len(out)] = self.eval(v, env)
            return out
        if keyed:
            out = Struct()
            for k, v in elems:
                out[k[1] if k[0] == "id" else str(self.eval(k, env))] = self.eval(v, env)
            if ty and ty[0] == "named" and ty[1].endswith("Options"):
                opts = default_options()
                opts.update(out)
                return opts
            return out
        if ty is not None and ty[0] == "named" and not (ty[1].startswith("[]")):
            return Struct({str(i): self.eval(v, env) for i, (_, v) in enumerate(elems)})
        return [self.eval(v, env) for _, v in elems]

    def eval_sel(self, e, env):
        base = e[1]
        if base[0] == "id" and self.lookup(env, base[1]) is _MISSING:
            return package_value(base[1], e[2])
        obj = self.eval(base, env)
        if isinstance(obj, dict):
            return obj.get(e[2])
        return Opaque(f"{obj}.{e[2]}")

    def eval_call(self, e, env):
        fn, args = e[1], e[2]
        if fn[0] == "sel":
            base = fn[1]
            name = fn[2]
            if base[0] == "id" and self.lookup(env, base[1]) is _MISSING:
                return self.call_package(base[1], name, [self.eval(a, env) for a in args])
            recv = self.eval(base, env)
            return self.call_method(recv, name, args, env)
        if fn[0] == "id":
            name = fn[1]
            if name in ("len",):
                v = self.eval(args[0], env)
                return len(v) if isinstance(v, (list, dict, str)) else Opaque("len")
            if name in ("string", "byte"):
                value = self.eval(args[0], env)
                if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
                    raw = bytes(value)
                    try:
                        return raw.decode("utf-8")
                    except UnicodeDecodeError:
                        return raw  # written as is
                return value
            if name == "append":
                coll = self.eval(args[0], env)
                rest = []
                for a in args[1:]:
                    if a[0] == "spread":
                        spread = self.eval(a[1], env)
                        if not isinstance(spread, list):
                            return Opaque("append")
                        rest += spread
                    else:
                        rest.append(self.eval(a, env))
                if isinstance(coll, list) or coll is None:
                    return list(coll or []) + rest
                return Opaque("append")
            if name in ("make", "new"):
                ty = args[0][1] if args and args[0][0] == "type" else None
                return {} if ty and ty[0] == "map" else ([] if ty and ty[0] == "slice" else Struct())
            if name in ("panic",):
                raise Return([])
        callee = self.eval(fn, env)
        argv = [self.eval(a, env) for a in args]
        return self.call(callee, argv)

    def call(self, callee, argv):
        if isinstance(callee, Closure):
            inner = {"__parent__": callee.env}
            for i, p in enumerate(callee.params):
                inner[p] = argv[i] if i < len(argv) else None
            for name in callee.results:
                inner.setdefault(name, None)
            try:
                self.exec_block(callee.body, inner)
            except Return as r:
                values = r.values or [inner.get(name) for name in callee.results]
                return values[0] if len(values) == 1 else (tuple(values) if values else None)
            return None
        if callable(callee):
            return callee(*argv)
        return Opaque(f"call {callee}")

    # ---- the kustomize test harness and the standard library subset
    def call_method(self, recv, name, args, env):
        argv = [self.eval(a, env) for a in args]
        if isinstance(recv, Harness):
            return self.harness_method(recv, name, argv)
        if isinstance(recv, FS):
            if name == "WriteFile":
                recv.write(argv[0], argv[1])
            elif name in ("Mkdir", "MkdirAll"):
                if isinstance(argv[0], str):
                    recv.dirs.add(norm(argv[0]))
            elif name in ("RemoveAll", "Remove", "Symlink", "Rename"):
                recv.taint = recv.taint or f"file system operation {name}"
            return None
        if isinstance(recv, Opaque) and recv.what == "t" and name == "Run":
            self.names.append(str(argv[0]))
            try:
                self.call(argv[1], [Opaque("t")])
            except Return:
                pass
            finally:
                self.names.pop()
            return True
        if isinstance(recv, Kustomizer) and name == "Run":
            fs = argv[0]
            return self.record(fs if isinstance(fs, FS) else None, argv[1], recv.options, None)
        if isinstance(recv, Opaque) and recv.what.startswith("dir:") and name in ("String", "Join"):
            base = recv.what[4:]
            return base if name == "String" else posixpath.join(base, *argv)
        if isinstance(recv, str) and name == "String":
            return recv
        return Opaque(f"{recv}.{name}()")

    def harness_method(self, th, name, argv):
        if name == "WriteK":
            th.fs.write(posixpath.join(argv[0], "kustomization.yaml") if isinstance(argv[0], str) else argv[0],
                        "\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + argv[1]
                        if isinstance(argv[1], str) else argv[1])
        elif name == "WriteC":
            th.fs.write(posixpath.join(argv[0], "kustomization.yaml") if isinstance(argv[0], str) else argv[0],
                        "\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" + argv[1]
                        if isinstance(argv[1], str) else argv[1])
        elif name == "WriteF":
            th.fs.write(argv[0], argv[1])
        elif name == "WriteLegacyConfigs":
            th.fs.taint = th.fs.taint or "WriteLegacyConfigs (kustomize's built-in field specs)"
        elif name in ("MakeDefaultOptions", "MakeOptionsPluginsDisabled"):
            return default_options()
        elif name == "MakeOptionsPluginsEnabled":
            o = default_options()
            o["PluginConfig"] = "enabled"
            return o
        elif name == "Run":
            return self.record(th.fs, argv[0], argv[1] if len(argv) > 1 else default_options(), False)
        elif name == "RunWithErr":
            return self.record(th.fs, argv[0], argv[1] if len(argv) > 1 else default_options(), True)
        elif name == "GetFSys":
            return th.fs
        elif name == "GetRoot":
            return "/"
        elif name in ("Join",):
            return posixpath.join("/", *argv)
        elif name == "MkDir":
            th.fs.dirs.add(norm(argv[0]))
            return norm(argv[0])
        elif name in ("PrepExecPlugin", "BuildGoPlugin", "PrepBuiltin"):
            th.fs.taint = th.fs.taint or f"needs a compiled or exec plugin ({name})"
            return th
        elif name == "ErrIfNoHelm":
            th.fs.taint = th.fs.taint or "needs helm"
            return Opaque("helm")
        elif name in ("EvalSymlinks", "Dir", "Base"):
            return Opaque(name)
        return None

    def record(self, fs, path, options, expect_error):
        base = "/".join(self.names)
        n = self.counter.get(base, 0) + 1
        self.counter[base] = n
        name = base if n == 1 else f"{base}#{n}"
        taint = self.current_taint or (fs.taint if fs else "file system the replay cannot model")
        if not isinstance(path, str):
            taint = taint or f"build path {path}"
        if not isinstance(options, Options):
            options = default_options()
        if options.get("PluginConfig") is not None:
            taint = taint or "alpha plugins enabled"
        self.cases.append(Case(name, dict(fs.files) if fs else {}, path if isinstance(path, str) else ".",
                               dict(options), expect_error, taint))
        return Opaque("error") if expect_error else Opaque("resmap")

    def call_package(self, pkg, name, argv):
        if name in ("MakeHarness",):
            return Harness(FS())
        if name == "MakeHarnessWithFs":
            return Harness(argv[1] if isinstance(argv[1], FS) else FS())
        if name in ("MakeEnhancedHarness", "MakeEnhancedHarnessWithTmpRoot"):
            return Harness(FS(), enhanced=True)
        if name in ("MakeFsInMemory", "MakeFsOnDisk", "MakeEmptyDirInMemory"):
            return FS()
        if name in ("Setup", "CreateKustDir"):
            fs = FS()
            if name == "CreateKustDir":
                fs.write("/kustomization.yaml", argv[1])
            return (fs, Opaque("dir:/"))
        if name == "MakeKustomizer":
            return Kustomizer(argv[0] if isinstance(argv[0], Options) else default_options())
        if name == "MakeDefaultOptions":
            return default_options()
        if pkg == "filepath" and name == "Join":
            if any(not isinstance(a, str) for a in argv):
                return Opaque("filepath.Join")
            return posixpath.join(*argv) if argv else ""
        if pkg == "fmt" and name == "Sprintf":
            return sprintf(argv[0], argv[1:])
        if pkg == "strings":
            if any(isinstance(a, Opaque) or isinstance(a, list) and any(isinstance(x, Opaque) for x in a)
                   for a in argv):
                return Opaque(f"strings.{name}")
            if name == "ReplaceAll":
                return argv[0].replace(argv[1], argv[2])
            if name == "Replace":
                return argv[0].replace(argv[1], argv[2], argv[3] if argv[3] >= 0 else -1)
            if name == "Join":
                return argv[1].join(argv[0])
            if name == "Repeat":
                return argv[0] * argv[1]
            if name == "TrimSpace":
                return argv[0].strip()
            if name == "Contains":
                return argv[1] in argv[0]
            if name == "HasPrefix":
                return argv[0].startswith(argv[1])
        if pkg == "os" and name == "ReadFile" and isinstance(argv[0], str) and self.directory:
            try:
                with open(posixpath.join(self.directory, argv[0]), encoding="utf-8") as handle:
                    return (handle.read(), None)
            except (OSError, UnicodeDecodeError):
                return (Opaque(f"unreadable {argv[0]}"), Opaque("error"))
        if name == "RecognizedKustomizationFileNames":
            return ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        if name == "DefaultKustomizationFileName":
            return "kustomization.yaml"
        return Opaque(f"{pkg}.{name}()")


class Kustomizer:
    def __init__(self, options):
        self.options = options


def package_value(pkg, name):
    if name.startswith("LoadRestrictions") or name.startswith("ReorderOption"):
        return name
    if name == "Separator":
        return "/"
    return Opaque(f"{pkg}.{name}")


_MISSING = object()


def _mentions_run(stmts):
    text = repr(stmts)
    return "'Run'" in text or "'RunWithErr'" in text or "Write" in text
