// Unit tests for include/nsnet/detail/function_ref.hpp: what the callback parameters of nl::request,
// nl::dump, link_kind_change, create_link and FdbInfo::to_string accept, and when they are empty.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "nsnet/detail/function_ref.hpp"

using nsnet::detail::FunctionRef;

namespace {

int plus_one(int x) { return x + 1; }
int call(FunctionRef<int(int)> f) { return f ? f(1) : -1; }

}  // namespace

TEST_CASE("FunctionRef: calls lambdas, functions and std::function; empty ones are false") {
    int k = 5;
    CHECK(call([&](int x) { return x + k; }) == 6);
    const auto captureless = [](int x) { return x - 1; };
    CHECK(call(captureless) == 0);
    CHECK(call(plus_one) == 2);
    CHECK(call(&plus_one) == 2);
    std::function<int(int)> times_ten = [](int x) { return x * 10; };
    CHECK(call(times_ten) == 10);

    int (*null_pointer)(int) = nullptr;
    CHECK(call(null_pointer) == -1);
    std::function<int(int)> empty;
    CHECK(call(empty) == -1);  // like the std::function parameter it replaced: empty, not a bad_function_call
    CHECK(call({}) == -1);
    CHECK(call(nullptr) == -1);
}

TEST_CASE("FunctionRef: arguments are forwarded, a mutable lambda keeps its state") {
    int calls = 0;
    auto count = [&calls](const std::string& s) mutable { calls += static_cast<int>(s.size()); };
    FunctionRef<void(const std::string&)> f = count;
    f("abc");
    f("de");
    CHECK(calls == 5);
    FunctionRef<std::string(std::string)> g = [](std::string s) { return s + "!"; };
    CHECK(g("x") == "x!");
}
