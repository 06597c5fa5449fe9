#!/usr/bin/env python3
"""Doxygen INPUT_FILTER for nsnet's headers: doxygen_filter.py FILE prints FILE with its plain
comments turned into Doxygen comments, so the reference shows what the headers say.

nsnet writes `//` comments (DEVELOPERS.md); Doxygen reads only `///`, `//!` and `/** */`. Here:
  - the comment block that opens the file becomes the file's description (`\\file`);
  - a line that is only a `//` comment becomes `///` (it documents the declaration below it);
  - a trailing `// text` after a member or enumerator (`int mtu{};  // text`) becomes `///< text`.
Line numbers are kept (one output line per input line), so the source links stay right. Comments
inside function bodies are left alone (Doxygen does not read bodies for documentation).
"""
import re
import sys

TRAILING = re.compile(r"^(\s*[^/\s].*?[;,{}]\s*)//(?!/)\s?(.*)$")


def escape(text):
    """`<dreg>` in prose is not an HTML tag: escape `<` outside `code spans`."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"<(?=[A-Za-z/])", r"\\<", parts[i])
    return "`".join(parts)


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    out, header = [], True
    for line in lines:
        s = line.strip()
        if header:
            if s.startswith("//"):
                out.append("///" + escape(s[2:].lstrip("/")))
                continue
            header = False
            if out:
                out[-1] += " \\file"  # the block describes the file (\file ends the line: no name)
        if s.startswith("//") and not s.startswith("///"):
            at = line.index("//")
            line = line[:at] + "///" + escape(line[at + 2:])
        else:
            m = TRAILING.match(line)
            if m and '"' not in m.group(1):
                line = m.group(1) + "///< " + escape(m.group(2))
        out.append(line)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
