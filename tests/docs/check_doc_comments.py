#!/usr/bin/env python3
"""Counts the public declarations of include/nsnet that have no comment.

nsnet documents a declaration with a plain `//` comment on the line(s) directly above it, or a
trailing `//` comment on its first line (options struct members). Doxygen reads only `///` or
`/** */` comments, so it cannot tell which of these are documented: this script can.

A public declaration is one at namespace scope outside `detail` namespaces (`detail`, `*_detail`,
anonymous), or a public member of such a class, outside `#if NSNET_DEFINITIONS` blocks (the
bodies). Not counted: forward declarations, friends, static_asserts, `using namespace`, defaulted
or deleted members, destructors, move and copy operations, enumerators. An overload directly
below a documented declaration of the same name shares its comment (`get(ns, name)` /
`get(ns, index)` under one comment).

  check_doc_comments.py INCLUDE_DIR                      per-header counts
  check_doc_comments.py INCLUDE_DIR --list               also every undocumented declaration
  check_doc_comments.py INCLUDE_DIR --baseline FILE      fail (exit 1) if a header has more than FILE
                                                         records, or a header FILE does not know has any
  check_doc_comments.py INCLUDE_DIR --write-baseline FILE
"""
import os
import re
import sys

SKIP_FILES = {"implementation.hpp"}  # the separately compiled unit, not an interface


def strip_code(line, state):
    """Returns the line with comments and string/char literals blanked; state carries /* */."""
    out = []
    i, n = 0, len(line)
    while i < n:
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), ""
            i = end + 2
            state["block"] = False
            continue
        c = line[i]
        if line.startswith("//", i):
            return "".join(out), line[i + 2:]
        if line.startswith("/*", i):
            state["block"] = True
            i += 2
            continue
        if c == '"' or (c == "'" and not (i > 0 and line[i - 1].isalnum())):
            q = c
            j = i + 1
            while j < n and line[j] != q:
                j += 2 if line[j] == "\\" else 1
            out.append(q + q)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out), ""


IGNORED = re.compile(
    r"^\s*(friend\b|static_assert\b|using\s+namespace\b|template\s*<[^>]*>\s*(class|struct)\s+\w+\s*;)")
FORWARD = re.compile(r"^\s*(class|struct|union|enum(\s+class)?)\s+\w+\s*;\s*$")


def decl_name(text):
    t = re.sub(r"^\s*template\s*<.*?>\s*", "", text)
    m = re.match(r"\s*(?:enum\s+class|enum|class|struct|union)\s+(\w+)", t)
    if m:
        return m.group(1)
    m = re.match(r"\s*using\s+(\w+)", t)
    if m:
        return m.group(1)
    m = re.search(r"operator\s*\S+?\s*\(", t)
    if m:
        return m.group(0)[:-1].strip()
    # Without template arguments (std::function<void()>), cut at an initializer's '='.
    while True:
        u = re.sub(r"<[^<>]*>", "", t)
        if u == t:
            break
        t = u
    t = re.split(r"(?<![=!<>])=(?!=)", t, 1)[0]
    m = re.search(r"(~?\w+)\s*\(", t)
    if m:
        return m.group(1)
    m = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*(=|\{|;|$)", t)
    return m.group(1) if m else t.strip()


def ignored(text, cls):
    t = " ".join(text.split())
    if IGNORED.match(t) or FORWARD.match(t):
        return True
    if re.search(r"=\s*(delete|default)\s*;", t):
        return True
    if re.match(r"^~\w+\s*\(", t) or re.search(r"\bvirtual\s+~", t):
        return True
    if cls and re.search(r"\b%s\s*\(\s*(const\s+)?%s\s*&&?\s*\w*\s*\)" % (cls, cls), t):
        return True  # copy/move constructor
    if re.search(r"operator=\s*\(", t):
        return True  # copy/move assignment
    return False


def scan(path):
    """Returns (line, name, documented) for every public declaration of the header."""
    lines = open(path, encoding="utf-8").read().split("\n")
    state = {"block": False}
    # Scope stack: kind 'ns' | 'class' | 'block'; public: declarations here can be public.
    scopes = [{"kind": "ns", "public": True, "access": "public", "name": "", "resume": None}]
    pp_skip, pp_depth, continued = False, 0, False
    stmt = None            # the statement being read: first line, text, record?, documented?
    prev_comment = False   # the line above is a comment
    prev_decl = None       # (name, documented) of the declaration just above (no blank line between)
    out = []

    def record(st):
        if st["record"] and not ignored(st["text"], st["cls"]):
            d = (st["line"], decl_name(st["text"]), st["documented"])
            if not d[2] and prev_decl and prev_decl[0] == d[1] and prev_decl[1]:
                d = (d[0], d[1], True)  # an overload under a documented one
            out.append(d)
            st["record"] = False
            return d
        st["record"] = False
        return None

    for no, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if continued:
            continued = stripped.endswith("\\")
            continue
        if stripped.startswith("#") and not state["block"]:
            continued = stripped.endswith("\\")
            d = stripped[1:].strip()
            if pp_skip:
                if d.startswith("if"):
                    pp_depth += 1
                elif d.startswith("endif"):
                    if pp_depth == 0:
                        pp_skip = False
                    else:
                        pp_depth -= 1
            elif re.match(r"if\s+NSNET_DEFINITIONS\b", d):
                pp_skip, pp_depth = True, 0
            continue
        if pp_skip:
            continue
        was_block = state["block"]
        code, comment = strip_code(raw, state)
        code_s = code.strip()
        if not code_s:
            if stripped == "":
                prev_comment, prev_decl = False, None
            elif comment or was_block or stripped.startswith("/*"):
                prev_comment = True
            continue

        top = scopes[-1]
        m = re.match(r"^(public|private|protected)\s*:(?!:)\s*(.*)$", code_s)
        if m and top["kind"] == "class" and stmt is None:
            top["access"] = m.group(1)
            code = code_s = m.group(2).strip()
            prev_comment, prev_decl = False, None
            if not code_s:
                continue
        in_public = top["kind"] in ("ns", "class") and top["public"] and top["access"] == "public"
        if stmt is None and not code_s.startswith("}"):
            stmt = {"line": no, "text": "", "record": in_public, "parens": 0, "cls": top["name"],
                    "documented": prev_comment or bool(comment.strip())}
        this_decl = None
        for ch in code:
            if stmt is not None:
                stmt["text"] += ch
            if ch == "(" and stmt is not None:
                stmt["parens"] += 1
            elif ch == ")" and stmt is not None:
                stmt["parens"] -= 1
            elif ch == "{":
                if stmt is None:
                    scopes.append({"kind": "block", "public": False, "access": "", "name": "", "resume": None})
                    continue
                head = stmt["text"][:-1]
                ns = re.match(r"\s*(inline\s+)?namespace\b\s*([\w:]*)\s*$", head)
                cls = re.match(r"\s*(template\s*<.*>\s*)?(class|struct|union)\s+(\w+)\b[^(=]*$", head, re.S)
                enum = re.match(r"\s*enum\b[^(=]*$", head)
                if ns:
                    name = ns.group(2)
                    private = name == "" or re.search(r"(^|::|_)detail(::|$)", name)
                    scopes.append({"kind": "ns", "public": top["public"] and not private, "access": "public",
                                   "name": "", "resume": None})
                    stmt = None
                elif cls:
                    d = record(stmt) if stmt["record"] else None
                    this_decl = d or this_decl
                    public = in_public
                    scopes.append({"kind": "class", "public": public,
                                   "access": "private" if cls.group(2) == "class" else "public",
                                   "name": cls.group(3), "resume": None})
                    stmt = None
                elif enum:
                    this_decl = record(stmt) or this_decl
                    scopes.append({"kind": "block", "public": False, "access": "", "name": "", "resume": None})
                    stmt = None
                else:
                    # A function body, a brace initializer, a lambda: the declaration is known now.
                    this_decl = record(stmt) or this_decl
                    function = "(" in head and "=" not in head.split("(")[0]
                    scopes.append({"kind": "block", "public": False, "access": "", "name": "",
                                   "resume": None if (function and stmt["parens"] == 0) else stmt})
                    stmt = None
                top = scopes[-1]
            elif ch == "}":
                s = scopes.pop() if len(scopes) > 1 else scopes[0]
                stmt = s["resume"]
                top = scopes[-1]
            elif ch == ";" and stmt is not None and stmt["parens"] == 0:
                this_decl = record(stmt) or this_decl
                stmt = None
        prev_comment = False
        if this_decl:
            prev_decl = (this_decl[1], this_decl[2])
        elif not code_s.startswith("}"):
            prev_decl = prev_decl if stmt is not None else None
    return out


def headers(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "detail")
        for f in sorted(filenames):
            if f.endswith(".hpp") and f not in SKIP_FILES:
                full = os.path.join(dirpath, f)
                yield os.path.relpath(full, root), full


def read_baseline(path):
    base = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            name, count = line.rsplit(None, 1)
            base[name] = int(count)
    return base


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    listing = "--list" in argv
    baseline = argv[argv.index("--baseline") + 1] if "--baseline" in argv else None
    write = argv[argv.index("--write-baseline") + 1] if "--write-baseline" in argv else None

    counts, total_decls, total_missing = {}, 0, 0
    for rel, full in headers(root):
        decls = scan(full)
        missing = [d for d in decls if not d[2]]
        counts[rel] = len(missing)
        total_decls += len(decls)
        total_missing += len(missing)
        print("%-28s %4d declarations, %4d without a comment" % (rel, len(decls), len(missing)))
        if listing:
            for line, name, _ in missing:
                print("    %s:%d: %s" % (rel, line, name))
    print("total: %d public declarations, %d without a comment" % (total_decls, total_missing))

    if write:
        with open(write, "w", encoding="utf-8") as f:
            f.write("# Public declarations without a comment, per header of include/nsnet (written by\n"
                    "# tests/docs/check_doc_comments.py --write-baseline). The 'doc comments' test fails\n"
                    "# when a header has more than recorded here, or a header not listed has any.\n"
                    "# Lower a count when you document declarations; never raise it.\n")
            for rel in sorted(counts):
                if counts[rel]:
                    f.write("%s %d\n" % (rel, counts[rel]))
        return 0
    if baseline:
        base = read_baseline(baseline)
        worse = [(rel, c, base.get(rel, 0)) for rel, c in counts.items() if c > base.get(rel, 0)]
        better = [(rel, c, base[rel]) for rel, c in counts.items() if rel in base and c < base[rel]]
        for rel, c, b in better:
            print("note: %s has %d undocumented declarations, the baseline %d: lower it in %s" % (rel, c, b, baseline))
        for rel, c, b in worse:
            print("FAIL: %s has %d public declarations without a comment (baseline %d%s); comment them"
                  " (`check_doc_comments.py include --list` shows which)"
                  % (rel, c, b, "" if rel in base else ": a new header must have none"))
        return 1 if worse else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
