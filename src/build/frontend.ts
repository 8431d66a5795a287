// The PEP 517 frontend the packager runs with the target Python (`python -I -S`:
// no site-packages, no PYTHON* variables, no pip): it unpacks an sdist safely,
// unpacks the locked build-requirement wheels into a private directory that is
// the only thing on sys.path besides the stdlib, asks the backend what else it
// needs (each must be among those wheels), and calls build_wheel.
// Spec: https://peps.python.org/pep-0517/ (hooks, backend-path, the legacy
// setuptools fallback); https://peps.python.org/pep-0427/ (wheel layout).

/** Bumped when the script's behaviour changes: it is part of the built-wheel cache key. */
export const FRONTEND_VERSION = 1;

export const FRONTEND_PY = String.raw`
import json, os, sys, tarfile, zipfile

def fail(code, msg):
    sys.stderr.write("frontend: " + msg + "\n")
    sys.exit(code)

def safe_target(dest, name):
    target = os.path.realpath(os.path.join(dest, name))
    if not (target == dest or target.startswith(dest + os.sep)):
        fail(3, "archive member escapes the target directory: %r" % name)
    return target

def extract(archive, dest):
    dest = os.path.realpath(dest)
    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                target = safe_target(dest, info.filename)
                if info.is_dir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with z.open(info) as src, open(target, "wb") as out:
                    out.write(src.read())
                mode = (info.external_attr >> 16) & 0o777
                os.chmod(target, 0o755 if mode & 0o111 else 0o644)
    else:
        with tarfile.open(archive) as t:
            for m in t.getmembers():
                target = safe_target(dest, m.name)
                if m.isdir():
                    os.makedirs(target, exist_ok=True)
                elif m.isfile():
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with t.extractfile(m) as src, open(target, "wb") as out:
                        out.write(src.read())
                    os.chmod(target, 0o755 if m.mode & 0o111 else 0o644)
                # links, devices and fifos are left out: an sdist needs none of them
    tops = sorted(os.listdir(dest))
    if len(tops) == 1 and os.path.isdir(os.path.join(dest, tops[0])):
        return os.path.join(dest, tops[0])
    return dest

def install_wheel(wheel, site):
    # purelib/platlib go on sys.path; scripts, headers and data are not needed to build
    with zipfile.ZipFile(wheel) as z:
        for info in z.infolist():
            name = info.filename
            parts = name.split("/")
            if len(parts) > 2 and parts[0].endswith(".data"):
                if parts[1] not in ("purelib", "platlib"):
                    continue
                name = "/".join(parts[2:])
            if name.endswith("/"):
                continue
            target = safe_target(site, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as out:
                out.write(src.read())

def requirement_name(req):
    name = ""
    for ch in req.strip():
        if ch.isalnum() or ch in "-_.":
            name += ch
        else:
            break
    return name.lower().replace("_", "-").replace(".", "-")

def build(args):
    os.umask(0o022)
    src, out, site, backend_spec, backend_path = args[0], args[1], args[2], args[3], json.loads(args[4])
    wheels = args[5:]
    os.makedirs(site, exist_ok=True)
    for w in wheels:
        install_wheel(w, site)
    sys.path[:0] = [site] + [os.path.join(src, p) for p in backend_path]
    os.chdir(src)
    sys.argv = ["-c"]
    import importlib, importlib.metadata
    module, _, obj = backend_spec.partition(":")
    backend = importlib.import_module(module)
    for attr in filter(None, obj.split(".")):
        backend = getattr(backend, attr)
    hook = getattr(backend, "get_requires_for_build_wheel", None)
    present = {requirement_name(d.metadata["Name"]) for d in importlib.metadata.distributions(path=[site])}
    missing = [r for r in (hook({}) if hook else []) if requirement_name(r) not in present]
    if missing:
        fail(4, "the backend asks for more build requirements than [build-system] requires names: " + ", ".join(missing))
    name = backend.build_wheel(out, {})
    with open(os.path.join(out, ".result.json"), "w") as f:
        json.dump({"wheel": name, "python": "%d.%d.%d" % sys.version_info[:3]}, f)

if __name__ == "__main__":
    if sys.argv[1] == "extract":
        print(extract(sys.argv[2], sys.argv[3]))
    elif sys.argv[1] == "build":
        build(sys.argv[2:])
    else:
        fail(2, "unknown command " + sys.argv[1])
`;
