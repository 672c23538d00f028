"""Extracts build cases from kustomize's `examples/*.md`: the shell blocks marked `<!-- @name ... -->` write files
with heredocs under `$DEMO_HOME` and call `kustomize build DIR`. Only that subset of shell is followed; a command
that would change files in another way (`kustomize edit`, `sed`, `curl`, …) marks the later cases unextractable.
"""

import posixpath
import re

from .interp import Case, default_options, norm

_BLOCK = re.compile(r"<!--\s*@(\w+)[^>]*-->\s*\n```[^\n]*\n(.*?)```", re.S)
_HEREDOC = [
    re.compile(r"^cat\s+<<-?\s*['\"]?(\w+)['\"]?\s*(>>?)\s*(\S+)\s*$"),
    re.compile(r"^cat\s+(>>?)\s*(\S+)\s+<<-?\s*['\"]?(\w+)['\"]?\s*$"),
]
_HARMLESS = {"test", "diff", "grep", "tree", "echo", "cat", "ls", "head", "tail", "wc", "expected", "#", "export",
             "less", "more", "chmod", "find", "[", "if", "fi", "then", "else", "done", "for", "do", "}", "{"}
_MUTATING = {"sed", "curl", "wget", "cp", "mv", "rm", "ln", "git", "helm", "go", "touch", "kubectl"}


def _expand(text, variables):
    def repl(m):
        name = m.group(1) or m.group(2)
        return variables.get(name, m.group(0))

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", repl, text)


def _logical_lines(code):
    lines, buf = [], ""
    for raw in code.split("\n"):
        if raw.rstrip().endswith("\\"):
            buf += raw.rstrip()[:-1] + " "
            continue
        lines.append(buf + raw)
        buf = ""
    if buf:
        lines.append(buf)
    return lines


def extract(name, text):
    """The build cases of one example file, in order."""
    files, variables, cases = {}, {"DEMO_HOME": "/"}, []
    cwd = "/"
    taint = None
    if re.search(r"enable[-_]alpha[-_]plugins|enable-helm|XDG_CONFIG_HOME", text):
        taint = "needs plugins or helm"
    for block in _BLOCK.finditer(text):
        lines = _logical_lines(block.group(2))
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            if not line or line.startswith("#"):
                continue
            heredoc = _match_heredoc(line)
            if heredoc:
                delimiter, mode, target, quoted = heredoc
                body = []
                while i < len(lines) and lines[i].strip() != delimiter:
                    body.append(lines[i])
                    i += 1
                i += 1
                content = "\n".join(body) + "\n"
                if not quoted:
                    content = _expand(content, variables).replace("\\$", "$")
                path = norm(posixpath.join(cwd, _expand(target, variables)))
                files[path] = (files.get(path, "") if mode == ">>" else "") + content
                continue
            assign = re.match(r"^(\w+)=(\$\(mktemp[^)]*\)|\S*)$", line)
            if assign:
                value = assign.group(2).strip("'\"")
                value = "/" if value.startswith("$(mktemp") else _expand(value, variables)
                variables[assign.group(1)] = value
                continue
            words = line.split()
            if words[0] == "kustomize":
                if len(words) > 1 and words[1] == "build":
                    cases.append(_build_case(f"{name}#{len(cases) + 1}", files, cwd, words[2:], variables, taint))
                else:
                    taint = taint or f"'kustomize {words[1] if len(words) > 1 else ''}' changes files"
                continue
            if words[0] == "cd":
                cwd = norm(posixpath.join(cwd, _expand(words[1], variables))) if len(words) > 1 else "/"
                continue
            if words[0] == "mkdir":
                continue
            if words[0] in _MUTATING or words[0] not in _HARMLESS and not words[0].startswith("function"):
                if "$" in line or words[0] in _MUTATING:
                    taint = taint or f"shell command '{words[0]}' the replay does not follow"
            elif re.search(r"(^|[^2])>\s*\$", line) and words[0] == "echo":
                taint = taint or "echo into a file"
    return cases


def _match_heredoc(line):
    m = _HEREDOC[0].match(line)
    if m:
        return m.group(1), m.group(2), m.group(3), "'" in line or '"' in line.split(">")[0]
    m = _HEREDOC[1].match(line)
    if m:
        return m.group(3), m.group(1), m.group(2), "'" in line or '"' in line.split("<<")[1]
    return None


def _build_case(name, files, cwd, args, variables, taint):
    options = default_options()
    path = None
    it = iter(args)
    for word in it:
        if word in ("|", ">", ">>") or word.startswith(">") or word.startswith("|"):
            break
        if word.startswith("--load-restrictor") or word.startswith("--load_restrictor"):
            value = word.split("=", 1)[1] if "=" in word else next(it, "")
            options["LoadRestrictions"] = value
        elif word.startswith("-"):
            taint = taint or f"build flag {word}"
        elif path is None:
            path = _expand(word, variables)
    path = norm(posixpath.join(cwd, path or "."))
    return Case(name, dict(files), path, options, None, taint)
