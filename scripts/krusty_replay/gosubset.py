"""A tokenizer, parser and interpreter for the small subset of Go that kustomize's krusty tests are written in.

The tests build an in-memory file system with harness calls (`th.WriteK`, `th.WriteF`, `th.WriteC`, helpers that
call them, table-driven cases run with `t.Run`) and then call `th.Run(path, options)`. Running that subset is enough to
recover every case's input files at run time; nothing here knows about kustomize itself (see `krusty.py`).
"""

import re


class GoSyntaxError(Exception):
    pass


# ---------------------------------------------------------------- tokens

_OPS = [
    "<<=", ">>=", "&^=", "...", "&&", "||", "<-", "++", "--", "==", "!=", "<=", ">=", ":=", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "<<", ">>", "&^", "+", "-", "*", "/", "%", "&", "|", "^", "<", ">", "=", "!", "(", ")",
    "[", "]", "{", "}", ",", ";", ".", ":", "~",
]
_SEMI_AFTER_KEYWORDS = {"break", "continue", "fallthrough", "return"}


class Tok:
    __slots__ = ("kind", "value", "line")

    def __init__(self, kind, value, line):
        self.kind, self.value, self.line = kind, value, line

    def __repr__(self):
        return f"{self.kind}:{self.value!r}@{self.line}"


def _unescape(body):
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'", "a": "\a", "b": "\b", "f": "\f",
              "v": "\v"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        elif n in "01234567":
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(n)
            i += 2
    return "".join(out)


def tokenize(src):
    toks, i, line, n = [], 0, 1, len(src)

    def need_semi():
        if not toks:
            return False
        t = toks[-1]
        return (t.kind in ("ident", "str", "num", "char") and not (t.kind == "ident" and t.value in _KEYWORDS_NO_SEMI)
                ) or (t.kind == "ident" and t.value in _SEMI_AFTER_KEYWORDS) or (
                    t.kind == "op" and t.value in (")", "]", "}", "++", "--"))

    while i < n:
        c = src[i]
        if c == "\n":
            if need_semi():
                toks.append(Tok("op", ";", line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            chunk = src[i:j + 2]
            if "\n" in chunk and need_semi():
                toks.append(Tok("op", ";", line))
            line += chunk.count("\n")
            i = j + 2
        elif c == "`":
            j = src.find("`", i + 1)
            s = src[i + 1:j].replace("\r", "")
            toks.append(Tok("str", s, line))
            line += s.count("\n")
            i = j + 1
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("str", _unescape(src[i + 1:j]), line))
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            toks.append(Tok("char", _unescape(src[i + 1:j]), line))
            i = j + 1
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_0-9]+").match(src, i)
            toks.append(Tok("ident", m.group(0), line))
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"0[xX][0-9a-fA-F_]+|[0-9_]+(\.[0-9_]*)?([eE][+-]?[0-9]+)?").match(src, i)
            toks.append(Tok("num", m.group(0), line))
            i = m.end()
        else:
            for op in _OPS:
                if src.startswith(op, i):
                    toks.append(Tok("op", op, line))
                    i += len(op)
                    break
            else:
                raise GoSyntaxError(f"line {line}: unexpected character {c!r}")
    if need_semi():
        toks.append(Tok("op", ";", line))
    toks.append(Tok("eof", None, line))
    return toks


_KEYWORDS_NO_SEMI = {"func", "if", "else", "for", "switch", "case", "default", "go", "defer", "var", "const", "type",
                     "import", "package", "struct", "map", "chan", "interface", "range", "select", "goto"}


# ---------------------------------------------------------------- parser (AST as tuples)

class Parser:
    def __init__(self, toks):
        self.toks, self.p = toks, 0
        self.no_lit = 0

    @property
    def t(self):
        return self.toks[self.p]

    def peek(self, k=1):
        return self.toks[min(self.p + k, len(self.toks) - 1)]

    def is_op(self, v, tok=None):
        tok = tok or self.t
        return tok.kind == "op" and tok.value == v

    def is_kw(self, v):
        return self.t.kind == "ident" and self.t.value == v

    def take(self):
        tok = self.t
        self.p += 1
        return tok

    def expect(self, v):
        if not self.is_op(v):
            raise GoSyntaxError(f"line {self.t.line}: expected {v!r}, got {self.t}")
        return self.take()

    def ident(self):
        if self.t.kind != "ident":
            raise GoSyntaxError(f"line {self.t.line}: expected identifier, got {self.t}")
        return self.take().value

    def skip_semis(self):
        while self.is_op(";"):
            self.take()

    # ---- file level
    def file(self):
        decls = []
        self.skip_semis()
        while self.t.kind != "eof":
            if self.is_kw("package"):
                self.take()
                self.ident()
            elif self.is_kw("import"):
                self.take()
                if self.is_op("("):
                    self.skip_balanced()
                else:
                    if self.t.kind == "ident" or self.is_op("."):
                        self.take()
                    self.take()
            elif self.is_kw("func"):
                decls.append(self.func_decl())
            elif self.is_kw("var") or self.is_kw("const"):
                decls.append(self.var_decl())
            elif self.is_kw("type"):
                self.type_decl()
            else:
                raise GoSyntaxError(f"line {self.t.line}: unexpected {self.t}")
            self.skip_semis()
        return decls

    def skip_balanced(self):
        depth = 0
        while True:
            tok = self.take()
            if tok.kind == "op" and tok.value in "([{":
                depth += 1
            elif tok.kind == "op" and tok.value in ")]}":
                depth -= 1
                if depth == 0:
                    return
            elif tok.kind == "eof":
                raise GoSyntaxError("unbalanced")

    def func_decl(self):
        self.take()
        if self.is_op("("):  # receiver
            self.skip_balanced()
        name = self.ident()
        params = self.params()
        results = self.params() if self.is_op("(") else (self.results() or [])
        body = self.block() if self.is_op("{") else None
        return ("func", name, params, body, results)

    def params(self):
        self.expect("(")
        names, group = [], []
        while not self.is_op(")"):
            # name [Type] | Type ; we keep identifiers that are followed by a type.
            if self.t.kind == "ident" and (self.is_op(",", self.peek()) or self.is_op(")", self.peek())):
                group.append(self.ident())
            elif self.t.kind == "ident" and not self.is_op(".", self.peek()):
                group.append(self.ident())
                if self.is_op("..."):
                    self.take()
                self.type_()
                names += group
                group = []
            else:
                self.type_()
            if self.is_op(","):
                self.take()
        self.expect(")")
        # A trailing group with no type was a list of unnamed types.
        return names

    def results(self):
        if self.is_op("("):
            self.skip_balanced()
        elif not self.is_op("{") and not self.is_op(";") and not self.is_op(",") and not self.is_op(")") \
                and not self.is_op("}") and not self.is_op("]") and not self.is_op("=") and self.t.kind != "str":
            self.type_()

    def type_decl(self):
        self.take()
        if self.is_op("("):
            self.skip_balanced()
            return
        self.ident()
        if self.is_op("="):
            self.take()
        self.type_()

    def type_(self):
        t = self.t
        if self.is_op("*"):
            self.take()
            return ("ptr", self.type_())
        if self.is_op("["):
            self.take()
            if not self.is_op("]"):
                if self.is_op("..."):
                    self.take()
                else:
                    self.expr()
            self.expect("]")
            return ("slice", self.type_())
        if self.is_op("("):
            self.take()
            ty = self.type_()
            self.expect(")")
            return ty
        if t.kind != "ident":
            raise GoSyntaxError(f"line {t.line}: expected type, got {t}")
        if t.value == "map":
            self.take()
            self.expect("[")
            self.type_()
            self.expect("]")
            return ("map", self.type_())
        if t.value == "struct":
            self.take()
            self.expect("{")
            fields = []
            self.skip_semis()
            while not self.is_op("}"):
                names = [self.ident()]
                while self.is_op(","):
                    self.take()
                    names.append(self.ident())
                if not self.is_op(";") and not self.is_op("}"):
                    self.type_()
                if self.t.kind == "str":
                    self.take()
                fields += names
                self.skip_semis()
            self.expect("}")
            return ("struct", fields)
        if t.value == "interface":
            self.take()
            self.skip_balanced()
            return ("iface",)
        if t.value == "func":
            self.take()
            self.params()
            self.results()
            return ("functype",)
        if t.value == "chan":
            self.take()
            return ("chan", self.type_())
        self.take()
        name = t.value
        if self.is_op("."):
            self.take()
            name += "." + self.ident()
        return ("named", name)

    def var_decl(self):
        self.take()
        if self.is_op("("):
            self.take()
            specs = []
            self.skip_semis()
            while not self.is_op(")"):
                specs.append(self.var_spec())
                self.skip_semis()
            self.expect(")")
            return ("vars", specs)
        return ("vars", [self.var_spec()])

    def var_spec(self):
        names = [self.ident()]
        while self.is_op(","):
            self.take()
            names.append(self.ident())
        ty = None
        if not self.is_op("=") and not self.is_op(";") and not self.is_op(")"):
            ty = self.type_()
        values = []
        if self.is_op("="):
            self.take()
            values = self.expr_list()
        return (names, ty, values)

    # ---- statements
    def block(self):
        self.expect("{")
        stmts = []
        self.skip_semis()
        while not self.is_op("}"):
            start = self.p
            try:
                stmts.append(self.stmt())
            except GoSyntaxError:
                self.p = start
                stmts.append(("unparsed", self.skip_statement()))
            self.skip_semis()
        self.expect("}")
        return stmts

    def skip_statement(self):
        start, depth = self.p, 0
        while True:
            tok = self.t
            if tok.kind == "eof":
                break
            if tok.kind == "op" and tok.value in "([{":
                depth += 1
            elif tok.kind == "op" and tok.value in ")]}":
                if depth == 0:
                    break
                depth -= 1
            elif tok.kind == "op" and tok.value == ";" and depth == 0:
                break
            self.take()
        return [t.value for t in self.toks[start:self.p]]

    def stmt(self):
        t = self.t
        if t.kind == "ident":
            v = t.value
            if v in ("var", "const"):
                return self.var_decl()
            if v == "type":
                self.type_decl()
                return ("nop",)
            if v == "if":
                return self.if_stmt()
            if v == "for":
                return self.for_stmt()
            if v in ("switch", "select"):
                self.take()
                while not self.is_op("{"):
                    self.take()
                self.skip_balanced()
                return ("nop",)
            if v == "return":
                self.take()
                vals = [] if self.is_op(";") or self.is_op("}") else self.expr_list()
                return ("return", vals)
            if v in ("defer", "go"):
                self.take()
                self.expr()
                return ("nop",)
            if v in ("break", "continue"):
                self.take()
                return (v,)
        if self.is_op("{"):
            return ("block", self.block())
        return self.simple_stmt()

    def simple_stmt(self):
        lhs = self.expr_list()
        if self.t.kind == "op" and self.t.value in (":=", "=", "+=", "-="):
            op = self.take().value
            if self.is_kw("range"):
                self.take()
                return ("range", lhs, self.expr())
            return ("assign", op, lhs, self.expr_list())
        if self.is_op("++") or self.is_op("--"):
            op = self.take().value
            return ("incdec", lhs[0], 1 if op == "++" else -1)
        if len(lhs) != 1:
            raise GoSyntaxError(f"line {self.t.line}: expression list as statement")
        return ("expr", lhs[0])

    def if_stmt(self):
        self.take()
        self.no_lit += 1
        init = None
        s = self.simple_stmt()
        if self.is_op(";"):
            self.take()
            init = s
            s = self.simple_stmt()
        self.no_lit -= 1
        if s[0] != "expr":
            raise GoSyntaxError("bad if condition")
        then = self.block()
        other = None
        if self.is_kw("else"):
            self.take()
            other = [self.if_stmt()] if self.is_kw("if") else self.block()
        return ("if", init, s[1], then, other)

    def for_stmt(self):
        self.take()
        self.no_lit += 1
        try:
            if self.is_op("{"):
                header = ("forever",)
            elif self.is_kw("range"):
                self.take()
                header = ("range", [], self.expr())
            else:
                s = self.simple_stmt() if not self.is_op(";") else None
                if self.is_op(";"):
                    self.take()
                    cond = None if self.is_op(";") else self.expr()
                    self.expect(";")
                    post = None if self.is_op("{") else self.simple_stmt()
                    header = ("classic", s, cond, post)
                elif s[0] == "range":
                    header = s
                else:
                    header = ("while",)
        finally:
            self.no_lit -= 1
        body = self.block()
        return ("for", header, body)

    # ---- expressions
    def expr_list(self):
        out = [self.expr()]
        while self.is_op(","):
            self.take()
            out.append(self.expr())
        return out

    _PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4, "|": 4, "^": 4,
             "*": 5, "/": 5, "%": 5, "<<": 5, ">>": 5, "&": 5, "&^": 5}

    def expr(self, prec=1):
        left = self.unary()
        while self.t.kind == "op" and self._PREC.get(self.t.value, 0) >= prec:
            op = self.take().value
            right = self.expr(self._PREC[op] + 1)
            left = ("bin", op, left, right)
        return left

    def unary(self):
        if self.t.kind == "op" and self.t.value in ("!", "-", "+", "&", "*", "^", "<-"):
            op = self.take().value
            return ("un", op, self.unary())
        return self.primary()

    def operand(self):
        t = self.t
        if t.kind == "str":
            self.take()
            return ("lit", t.value)
        if t.kind == "char":
            self.take()
            return ("lit", t.value)
        if t.kind == "num":
            self.take()
            try:
                return ("lit", int(t.value.replace("_", ""), 0))
            except ValueError:
                return ("lit", float(t.value.replace("_", "")))
        if self.is_op("("):
            self.take()
            self.no_lit, saved = 0, self.no_lit
            e = self.expr()
            self.no_lit = saved
            self.expect(")")
            return e
        if self.is_op("[") or (t.kind == "ident" and t.value in ("map", "struct")):
            ty = self.type_()
            if self.is_op("{"):
                return self.composite(ty)
            if self.is_op("("):
                self.take()
                e = self.expr()
                if self.is_op(","):
                    self.take()
                self.expect(")")
                return ("conv", ty, e)
            return ("type", ty)
        if t.kind == "ident" and t.value == "func":
            self.take()
            params = self.params()
            self.results()
            return ("funclit", params, self.block())
        if t.kind == "ident":
            self.take()
            return ("id", t.value)
        raise GoSyntaxError(f"line {t.line}: unexpected {t}")

    def primary(self):
        e = self.operand()
        while True:
            if self.is_op("."):
                self.take()
                if self.is_op("("):  # type assertion
                    self.skip_balanced()
                    continue
                e = ("sel", e, self.ident())
            elif self.is_op("("):
                self.take()
                saved, self.no_lit = self.no_lit, 0
                args = []
                while not self.is_op(")"):
                    args.append(self.expr())
                    if self.is_op("..."):
                        self.take()
                        args[-1] = ("spread", args[-1])
                    if self.is_op(","):
                        self.take()
                self.no_lit = saved
                self.expect(")")
                e = ("call", e, args)
            elif self.is_op("["):
                self.take()
                saved, self.no_lit = self.no_lit, 0
                lo = None if self.is_op(":") else self.expr()
                if self.is_op(":"):
                    self.take()
                    hi = None if self.is_op("]") else self.expr()
                    self.expect("]")
                    e = ("slice", e, lo, hi)
                else:
                    self.expect("]")
                    e = ("index", e, lo)
                self.no_lit = saved
            elif self.is_op("{") and not self.no_lit and e[0] in ("id", "sel"):
                e = self.composite(("named", _dotted(e)))
            else:
                return e

    def composite(self, ty):
        self.expect("{")
        saved, self.no_lit = self.no_lit, 0
        elems = []
        self.skip_semis()
        while not self.is_op("}"):
            if self.is_op("{"):
                v = self.composite(None)
            else:
                v = self.expr()
            if self.is_op(":"):
                self.take()
                val = self.composite(None) if self.is_op("{") else self.expr()
                elems.append((v, val))
            else:
                elems.append((None, v))
            if self.is_op(","):
                self.take()
            self.skip_semis()
        self.expect("}")
        self.no_lit = saved
        return ("comp", ty, elems)


def _dotted(e):
    if e[0] == "id":
        return e[1]
    return _dotted(e[1]) + "." + e[2]


def parse_file(src):
    return Parser(tokenize(src)).file()
