# Reads the app's pip inputs with the app's own python (bin/supply runs it once the
# conda environment exists): what only that interpreter can answer, answered the way
# pip will. Python >= 3.8, standard library and the environment's pip only.
#
#   pip_inputs.py requirements FILE...
#       every requirement of the (sanitized) requirements FILEs that pip would look
#       up in its index and install here: read with pip's own requirements-file
#       parser, markers evaluated by pip's own InstallRequirement.match_markers.
#       Prints FILE<TAB>NAME per requirement (FILE = the top file given).
#
#   pip_inputs.py lock FORMAT FILE
#       the packages a Python lock file (pylock.toml, uv.lock, poetry.lock,
#       Pipfile.lock) selects for this interpreter, as its own tool installs it
#       without re-resolving: the default group only, plus the comma-separated
#       groups in $BP_LOCK_GROUPS and the app's extras in $BP_LOCK_EXTRAS.
#       Prints `pkg<TAB>NAME<TAB>VERSION<TAB>SHA256[,SHA256...]` per package (every
#       hash the lock accepts for it) and `local<TAB>PATH<TAB>editable|plain` per
#       project the app carries in its own tree.
#
# Exit 0 with the answer on stdout; exit 3 with a message on stderr when an input
# is wrong (the message names the file, line and package); notes go to stderr.
import sys


def requirement_names(files):
    """(file, name) of each requirement pip would fetch from its index and install here."""
    try:
        from pip._internal.network.session import PipSession
        from pip._internal.req.constructors import install_req_from_parsed_requirement
        from pip._internal.req.req_file import parse_requirements
    except ImportError as err:  # a pip too old or too new for these internals
        sys.stderr.write("note: pip's requirements parser is not importable (%s); reading the files line by line\n" % err)
        return list(_requirement_names_plain(files))
    out = []
    session = _SessionOnDemand(PipSession)
    for top in files:
        for parsed in parse_requirements(top, session=session):
            if parsed.constraint:
                continue
            ireq = install_req_from_parsed_requirement(parsed)
            # a URL, a path or an editable is answered by URL, not by the index
            if ireq.link is not None or ireq.name is None:
                continue
            if ireq.match_markers():
                out.append((top, ireq.name))
    return out


class _SessionOnDemand(object):
    """The `session` parse_requirements takes, built when a file names a URL or a trusted host:
    a PipSession loads TLS certificates and runs lsb_release for its user agent, which
    reading local files does not need."""

    _session = None

    def __init__(self, factory):
        self._factory = factory

    def __getattr__(self, name):
        if self._session is None:
            self._session = self._factory()
        return getattr(self._session, name)


def _requirement_names_plain(files):
    """Fallback: each logical line as a PEP 508 requirement, its marker evaluated by pip's packaging."""
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement

    def lines(path, seen):
        if path in seen:
            return
        seen.add(path)
        import os

        with open(path, encoding="utf-8") as f:
            text = f.read().replace("\\\n", "")
        for raw in text.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith(("-r ", "--requirement ", "-r=", "--requirement=")):
                inc = line.split(None, 1)[1] if " " in line else line.split("=", 1)[1]
                yield from lines(os.path.join(os.path.dirname(path), inc.strip()), seen)
                continue
            if line.startswith("-"):
                continue
            yield line.split(" --", 1)[0]

    for top in files:
        for line in lines(top, set()):
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.url:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                yield (top, req.name)


class LockError(Exception):
    """An input the lock reader refuses: the message names the file and package."""


def _norm(name):
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _csv_env(var):
    import os

    return [_norm(x.strip()) for x in os.environ.get(var, "").split(",") if x.strip()]


class _Marker:
    """PEP 508 markers, evaluated here, with the lock-file variables `extras` and
    `dependency_groups` (PEP 751) as sets and `extra` true for any requested extra."""

    _TOKEN = None

    def __init__(self, text, env):
        import re

        if _Marker._TOKEN is None:
            _Marker._TOKEN = re.compile(
                r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>===|==|!=|<=|>=|~=|<|>|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
            )
        self.text, self.env, self.toks, pos = text, env, [], 0
        while pos < len(text):
            m = _Marker._TOKEN.match(text, pos)
            if not m or m.end() == pos:
                if text[pos:].strip() == "":
                    break
                raise LockError("marker %r does not parse at %r" % (text, text[pos:]))
            pos = m.end()
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
        self.i = 0

    def evaluate(self):
        v = self._or()
        if self.i != len(self.toks):
            raise LockError("marker %r does not parse" % self.text)
        return v

    def _peek(self, value=None):
        if self.i < len(self.toks) and (value is None or self.toks[self.i][1] == value):
            return self.toks[self.i]
        return None

    def _or(self):
        v = self._and()
        while self._peek("or"):
            self.i += 1
            v = self._and() or v
        return v

    def _and(self):
        v = self._atom()
        while self._peek("and"):
            self.i += 1
            v = self._atom() and v
        return v

    def _atom(self):
        if self._peek("("):
            self.i += 1
            v = self._or()
            if not self._peek(")"):
                raise LockError("marker %r: missing )" % self.text)
            self.i += 1
            return v
        left = self._value()
        op = self._op()
        right = self._value()
        return self._compare(left, op, right)

    def _value(self):
        if self.i >= len(self.toks):
            raise LockError("marker %r ends early" % self.text)
        kind, text = self.toks[self.i]
        self.i += 1
        if kind == "str":
            return ("str", text[1:-1])
        if kind == "word" and text not in ("and", "or", "in", "not"):
            return ("var", text)
        raise LockError("marker %r: unexpected %r" % (self.text, text))

    def _op(self):
        kind, text = self.toks[self.i] if self.i < len(self.toks) else (None, None)
        self.i += 1
        if text == "not" and self._peek("in"):
            self.i += 1
            return "not in"
        if text == "in" or kind == "op":
            return text
        raise LockError("marker %r: expected an operator, found %r" % (self.text, text))

    def _compare(self, left, op, right):
        sets = {"extras", "dependency_groups", "extra"}
        if right[0] == "var" and right[1] in sets:
            wanted = self.env[right[1]]
            name = _norm(self._resolve(left))
            if op in ("in", "not in"):
                return (name in wanted) == (op == "in")
        if left[0] == "var" and left[1] == "extra":
            wanted, name = self.env["extra"], _norm(self._resolve(right))
            if op in ("==", "!="):
                return (name in wanted) == (op == "==")
        a, b = self._resolve(left), self._resolve(right)
        if op == "in":
            return a in b
        if op == "not in":
            return a not in b
        from pip._vendor.packaging.specifiers import InvalidSpecifier, Specifier

        try:
            return Specifier(op + b).contains(a, prereleases=True)
        except InvalidSpecifier:
            pass
        if op == "==":
            return a == b
        if op == "!=":
            return a != b
        raise LockError("marker %r: cannot compare %r %s %r" % (self.text, a, op, b))

    def _resolve(self, v):
        if v[0] == "str":
            return v[1]
        if v[1] not in self.env or isinstance(self.env[v[1]], (set, frozenset)):
            raise LockError("marker %r: unknown variable %s" % (self.text, v[1]))
        return self.env[v[1]]


def _environment(extras=(), groups=()):
    from pip._vendor.packaging.markers import default_environment

    env = dict(default_environment())
    env["extras"] = frozenset(extras)
    env["extra"] = frozenset(extras)
    env["dependency_groups"] = frozenset(groups)
    return env


def _holds(marker, env, where):
    if marker is None or str(marker).strip() == "":
        return True
    try:
        return _Marker(str(marker), env).evaluate()
    except LockError as err:
        raise LockError("%s: %s" % (where, err))


def _toml(path):
    try:
        import tomllib as toml
    except ImportError:
        try:
            from pip._vendor import tomli as toml
        except ImportError:
            raise LockError("%s: this python has no TOML reader (tomllib or pip's tomli)" % path)
    with open(path, "rb") as f:
        try:
            return toml.load(f)
        except Exception as err:  # TOMLDecodeError, by either module
            raise LockError("%s is not valid TOML: %s" % (path, err))


def _sha(value):
    value = str(value)
    return value[7:].lower() if value.lower().startswith("sha256:") else None


def _check_asked(kind, asked, declared, label):
    declared = {_norm(d) for d in declared}
    for a in asked:
        if a not in declared:
            raise LockError(
                "%s has no %s %r: it declares %s (set BP_LOCK_%s to some of those)"
                % (label, kind, a, ", ".join(sorted(declared)) or "none", "GROUPS" if kind != "extra" else "EXTRAS")
            )


def _pylock(path, label, groups, extras):
    doc = _toml(path)
    declared_groups = doc.get("dependency-groups", [])
    _check_asked("dependency group", groups, declared_groups, label)
    _check_asked("extra", extras, doc.get("extras", []), label)
    env = _environment(extras, set(_norm(g) for g in doc.get("default-groups", [])) | set(groups))
    out, local = [], []
    for i, p in enumerate(doc.get("packages", [])):
        where = "%s packages[%d] (%s)" % (label, i, p.get("name"))
        if not _holds(p.get("marker"), env, where):
            continue
        if "vcs" in p:
            raise LockError("%s: %s comes from a VCS (no file hash): build a wheel, have the buildpack carry it, and lock that" % (label, p["name"]))
        if "directory" in p:
            local.append((p["directory"]["path"], p["directory"].get("editable", False)))
            continue
        hashes = [w.get("hashes", {}).get("sha256") for w in p.get("wheels", [])]
        if "sdist" in p:
            hashes.append(p["sdist"].get("hashes", {}).get("sha256"))
        if "archive" in p:
            hashes.append(p["archive"].get("hashes", {}).get("sha256"))
        out.append((p["name"], p["version"], [h.lower() for h in hashes if h]))
    return out, local


def _uv(path, label, groups, extras):
    doc = _toml(path)
    pkgs = doc.get("package", [])
    by = {}
    for p in pkgs:
        by.setdefault(_norm(p["name"]), []).append(p)
    members = {_norm(m) for m in doc.get("manifest", {}).get("members", [])}

    def local_at(p):
        s = p.get("source", {})
        return any(k in s for k in ("editable", "virtual")) and (s.get("editable", s.get("virtual")) == "." or _norm(p["name"]) in members)

    roots = [p for p in pkgs if local_at(p)]
    if not roots:
        raise LockError('%s has no project of the app: no package with source = { editable = "." } or { virtual = "." }' % label)
    declared_x = [x for r in roots for x in r.get("optional-dependencies", {})]
    declared_g = [g for r in roots for g in r.get("dev-dependencies", {})]
    _check_asked("extra", extras, declared_x, label)
    _check_asked("dependency group", groups, declared_g, label)
    env = _environment()
    seen, out, local = {}, [], []

    def edge_target(edge, chain):
        cands = by.get(_norm(edge["name"]), [])
        if "version" in edge:
            cands = [c for c in cands if c.get("version") == edge["version"]]
        if len(cands) != 1:
            raise LockError("%s: %s -> %s: the lock has %d matching packages; regenerate it with `uv lock`" % (label, " -> ".join(chain), edge["name"], len(cands)))
        return cands[0]

    def visit(p, with_extras, chain):
        key = (_norm(p["name"]), p.get("version"))
        done = seen.setdefault(key, set())
        new = set(with_extras) - done
        if key in seen and done and not new:
            return
        first = not done and "visited" not in done
        done.add("visited")
        done.update(with_extras)
        edges = list(p.get("dependencies", [])) if first else []
        for x in new:
            edges += p.get("optional-dependencies", {}).get(x, [])
        for e in edges:
            if _holds(e.get("marker"), env, "%s (%s)" % (label, p["name"])):
                t = edge_target(e, chain + [p["name"]])
                visit(t, [_norm(x) for x in e.get("extra", [])], chain + [p["name"]])

    for r in roots:
        seen[(_norm(r["name"]), r.get("version"))] = {"visited"}
        edges = list(r.get("dependencies", []))
        for x in extras:
            edges += [e for k, v in r.get("optional-dependencies", {}).items() if _norm(k) == x for e in v]
        for g in groups:
            edges += [e for k, v in r.get("dev-dependencies", {}).items() if _norm(k) == g for e in v]
        for e in edges:
            if _holds(e.get("marker"), env, "%s (%s)" % (label, r["name"])):
                visit(edge_target(e, [r["name"]]), [_norm(x) for x in e.get("extra", [])], [r["name"]])
    for (key, version), _ in sorted(seen.items(), key=lambda kv: kv[0][0]):
        p = next(c for c in by[key] if c.get("version") == version)
        s = p.get("source", {})
        if "git" in s:
            raise LockError("%s: %s comes from git (no file hash): build a wheel, have the buildpack carry it, and lock that" % (label, p["name"]))
        if any(k in s for k in ("editable", "virtual", "directory")):
            if "virtual" not in s:
                local.append((s.get("editable", s.get("directory")), "editable" in s))
            continue
        hashes = [_sha(w.get("hash", "")) for w in p.get("wheels", [])]
        if "sdist" in p:
            hashes.append(_sha(p["sdist"].get("hash", "")))
        out.append((p["name"], p["version"], [h for h in hashes if h]))
    return out, local


def _poetry(path, label, groups, extras):
    doc = _toml(path)
    lv = str(doc.get("metadata", {}).get("lock-version", ""))
    if not lv.startswith("2.") or lv == "2.0":
        raise LockError("%s has lock-version %s; the buildpack reads lock-version 2.1 (Poetry >= 2.0): run `poetry lock` with Poetry 2" % (label, lv or "(none)"))
    declared = {_norm(g) for p in doc.get("package", []) for g in p.get("groups", [])} - {"main"}
    _check_asked("group", groups, declared, label)
    _check_asked("extra", extras, doc.get("extras", {}).keys(), label)
    env = _environment(extras)
    want = {"main"} | set(groups)
    out, local = [], []
    for p in doc.get("package", []):
        markers = p.get("markers")

        def applies(g):
            if g not in want:
                return False
            m = markers
            if isinstance(m, dict):
                m = next((v for k, v in m.items() if _norm(k) == g), None)
            return _holds(m, env, "%s (%s)" % (label, p["name"]))

        if not any(applies(_norm(g)) for g in p.get("groups", [])):
            continue
        s = p.get("source", {})
        if s.get("type") == "git":
            raise LockError("%s: %s comes from git (no file hash): build a wheel, have the buildpack carry it, and lock that" % (label, p["name"]))
        if s.get("type") == "directory":
            local.append((s.get("url"), bool(p.get("develop"))))
            continue
        out.append((p["name"], p["version"], [h for h in (_sha(f.get("hash", "")) for f in p.get("files", [])) if h]))
    return out, local


def _pipfile(path, label, groups, extras):
    import json

    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except ValueError as err:
            raise LockError("%s is not valid JSON: %s" % (label, err))
    categories = ["default"] + ["develop" if g == "dev" else g for g in groups]
    for c in categories[1:]:
        if c not in doc:
            raise LockError("%s has no category %r: it has %s" % (label, c, ", ".join(k for k in doc if k != "_meta")))
    if extras:
        raise LockError("%s has no extras of the app: the extras of each package are already in it (leave BP_LOCK_EXTRAS unset)" % label)
    out, local, taken = [], [], set()
    for c in categories:
        # pipenv writes `'dev' in dependency_groups` into [dev-packages] markers: it holds there
        env = _environment((), {_norm(c)} | ({"dev"} if c == "develop" else set()))
        for name, p in sorted(doc.get(c, {}).items()):
            if _norm(name) in taken or not _holds(p.get("markers"), env, "%s (%s)" % (label, name)):
                continue
            taken.add(_norm(name))  # categories merge with `default` winning, as pipenv merges them
            if "git" in p:
                raise LockError("%s: %s comes from git (no file hash): build a wheel, have the buildpack carry it, and lock that" % (label, name))
            if "path" in p:
                local.append((p["path"], bool(p.get("editable"))))
                continue
            version = str(p.get("version", "")).lstrip("=")
            if not version:
                raise LockError("%s: %s has no version" % (label, name))
            out.append((name, version, [h for h in (_sha(x) for x in p.get("hashes", [])) if h]))
    return out, local


_READERS = {"pylock.toml": _pylock, "uv.lock": _uv, "poetry.lock": _poetry, "Pipfile.lock": _pipfile}


def read_lock(fmt, path):
    import os

    label = os.path.basename(path)
    pkgs, local = _READERS[fmt](path, label, _csv_env("BP_LOCK_GROUPS"), _csv_env("BP_LOCK_EXTRAS"))
    for name, version, hashes in pkgs:
        if not hashes:
            raise LockError("%s: %s %s has no sha256 hash, so the buildpack cannot verify it: lock again with hashes" % (label, name, version))
    return pkgs, local


def main(argv):
    if len(argv) >= 2 and argv[1] == "requirements":
        for top, name in requirement_names(argv[2:]):
            sys.stdout.write("%s\t%s\n" % (top, name))
        return 0
    if len(argv) == 4 and argv[1] == "lock" and argv[2] in _READERS:
        try:
            pkgs, local = read_lock(argv[2], argv[3])
        except (LockError, KeyError, TypeError, AttributeError) as err:
            msg = str(err) if isinstance(err, LockError) else "%s is not a %s this buildpack can read: %s %s" % (argv[3], argv[2], type(err).__name__, err)
            sys.stderr.write(msg + "\n")
            return 3
        for name, version, hashes in pkgs:
            sys.stdout.write("pkg\t%s\t%s\t%s\n" % (name, version, ",".join(hashes)))
        for p, editable in local:
            sys.stdout.write("local\t%s\t%s\n" % (p, "editable" if editable else "plain"))
        return 0
    sys.stderr.write("usage: pip_inputs.py requirements FILE... | lock FORMAT FILE\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
