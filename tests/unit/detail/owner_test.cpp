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

TEST_CASE("Owner: remove() reports a refusal once; the destructor swallows it and does not retry") {
    FakeHandle::removed.clear();
    {
        FakeOwner o(FakeHandle{.name = "x", .refuse = true});
        CHECK_THROWS_AS(o.remove(), std::runtime_error);
        CHECK_FALSE(o.owned());
    }
    { FakeOwner o(FakeHandle{.name = "y", .refuse = true}); }  // must not throw out of the destructor
    CHECK(FakeHandle::removed.empty());
}

TEST_CASE("Owner is move-only and never converts to a mutable handle") {
    static_assert(!std::is_copy_constructible_v<FakeOwner>);
    static_assert(!std::is_copy_assignable_v<FakeOwner>);
    static_assert(std::is_nothrow_move_constructible_v<FakeOwner>);
    static_assert(std::is_nothrow_move_assignable_v<FakeOwner>);
    static_assert(!std::is_convertible_v<FakeOwner&, FakeHandle&>);
    static_assert(std::is_same_v<decltype(std::declval<FakeOwner&>().operator->()), const FakeHandle*>);
}
