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
    session = PipSession()
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


def main(argv):
    if len(argv) >= 2 and argv[1] == "requirements":
        for top, name in requirement_names(argv[2:]):
            sys.stdout.write("%s\t%s\n" % (top, name))
        return 0
    sys.stderr.write("usage: pip_inputs.py requirements FILE...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
