#!/usr/bin/env python3
"""Self-test of check_doc_comments.py: a header with known documented and undocumented
declarations in every position the scanner must handle; exits 1 naming any difference."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_doc_comments  # noqa: E402

HEADER = r'''// fixture.hpp — the file comment.
#pragma once
#include "x.hpp"
#define NSNET_X(a) \
    int a;

namespace nsnet {

// Documented enum.
enum class Color { Red, Green };
enum class Bare { A };

// Documented struct; members trailing-commented or not.
struct Options {
    std::string name{};  // the name
    int mtu = 0;
    std::function<void()> cb = [] { int inner = 1; (void)inner; };  // a lambda initializer
};

class Thing;

// Documented class.
class Widget : public Base {
public:
    Widget() = default;
    Widget(Widget&& o) noexcept;
    Widget& operator=(Widget&& o) noexcept;
    ~Widget();

    // get by name / by index: one comment for the overloads.
    static Widget get(const NetnsRef& ns, std::string_view name);
    static Widget get(const NetnsRef& ns, int index);
    int size() const { return 3; }
    template <class Fn>
    auto run(Fn&& fn) {
        // a comment inside a body
        return fn();
    }
    friend bool operator==(const Widget&, const Widget&) = default;

private:
    void hidden();
    struct Inner { int secret; };
};

inline int free_undocumented(int a,
                             int b) {
    return a + b;
}
// Documented function.
NSNET_DECL void documented(const std::string& s = "{ not a brace");

namespace detail {
void helper();
}  // namespace detail

namespace monitor_detail {
void helper2();
}

#if NSNET_DEFINITIONS
NSNET_DECL void documented(const std::string& s) { (void)s; }
#endif

}  // namespace nsnet
'''

# (name, documented) in order.
EXPECTED = [
    ("Color", True), ("Bare", False), ("Options", True), ("name", True), ("mtu", False),
    ("cb", True), ("Widget", True), ("get", True), ("get", True), ("size", False), ("run", False),
    ("free_undocumented", False), ("documented", True),
]


def main():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fixture.hpp")
        with open(path, "w", encoding="utf-8") as f:
            f.write(HEADER)
        got = [(name, doc) for _, name, doc in check_doc_comments.scan(path)]
    if got != EXPECTED:
        print("FAIL: check_doc_comments.scan on the fixture")
        print("  expected: %s" % EXPECTED)
        print("  got:      %s" % got)
        return 1
    print("check_doc_comments.scan: %d declarations as expected" % len(got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
