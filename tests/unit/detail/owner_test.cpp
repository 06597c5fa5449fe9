// Tests for include/nsnet/detail/owner.hpp: the one owner every owning type is built on.
#include "nsnet/detail/owner.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// A handle that records which objects were removed, and can be told to fail.
struct FakeHandle {
    static inline std::vector<std::string> removed{};
    std::string name{};
    bool refuse = false;
    void remove() const {
        if (refuse) throw std::runtime_error("refused: " + name);
        removed.push_back(name);
    }
};

using FakeOwner = nsnet::detail::Owner<FakeHandle>;

// A handle whose first removal fails (a transient ENOBUFS), the next succeeds.
struct FlakyHandle {
    static inline int calls = 0;
    void remove() const {
        if (calls++ == 0) throw std::runtime_error("ENOBUFS");
        FakeHandle::removed.push_back("flaky");
    }
};

}  // namespace

TEST_CASE("Owner removes its object once, on destruction") {
    FakeHandle::removed.clear();
    { FakeOwner o(FakeHandle{.name = "a"}); CHECK(o.owned()); CHECK(o->name == "a"); }
    CHECK(FakeHandle::removed == std::vector<std::string>{"a"});
    { FakeOwner empty; CHECK_FALSE(empty.owned()); }
    CHECK(FakeHandle::removed.size() == 1);
}

TEST_CASE("Owner: persist, release and remove end ownership") {
    FakeHandle::removed.clear();
    { FakeOwner o(FakeHandle{.name = "kept"}); o.persist(); CHECK_FALSE(o.owned()); }
    FakeHandle released;
    { FakeOwner o(FakeHandle{.name = "released"}); released = o.release(); }
    CHECK(released.name == "released");
    {
        FakeOwner o(FakeHandle{.name = "now"});
        o.remove();
        CHECK(FakeHandle::removed == std::vector<std::string>{"now"});
        o.remove();  // a second remove does nothing
    }
    CHECK(FakeHandle::removed == std::vector<std::string>{"now"});
}

TEST_CASE("Owner: moving transfers ownership; assigning removes the old object first") {
    FakeHandle::removed.clear();
    {
        FakeOwner a(FakeHandle{.name = "a"});
        FakeOwner b(std::move(a));
        CHECK_FALSE(a.owned());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
        CHECK(b.owned());
        FakeOwner c(FakeHandle{.name = "c"});
        c = std::move(b);
        CHECK(FakeHandle::removed == std::vector<std::string>{"c"});
        CHECK(c->name == "a");
    }
    CHECK(FakeHandle::removed == std::vector<std::string>{"c", "a"});
}

TEST_CASE("Owner: a failed remove() keeps ownership; the destructor tries again and swallows a failure") {
    FakeHandle::removed.clear();
    {
        FakeOwner o(FakeHandle{.name = "x", .refuse = true});
        CHECK_THROWS_AS(o.remove(), std::runtime_error);
        CHECK(o.owned());  // still the owner: nothing was removed
    }  // the destructor's second attempt fails too, silently
    CHECK(FakeHandle::removed.empty());
    // A transient failure: the retry (here the destructor's) removes the object.
    FlakyHandle::calls = 0;
    { nsnet::detail::Owner<FlakyHandle> o(FlakyHandle{}); CHECK_THROWS(o.remove()); }
    CHECK(FakeHandle::removed == std::vector<std::string>{"flaky"});
}

TEST_CASE("Owner is move-only and never converts to a mutable handle") {
    static_assert(!std::is_copy_constructible_v<FakeOwner>);
    static_assert(!std::is_copy_assignable_v<FakeOwner>);
    static_assert(std::is_nothrow_move_constructible_v<FakeOwner>);
    static_assert(std::is_nothrow_move_assignable_v<FakeOwner>);
    static_assert(!std::is_convertible_v<FakeOwner&, FakeHandle&>);
    static_assert(std::is_same_v<decltype(std::declval<FakeOwner&>().operator->()), const FakeHandle*>);
}
