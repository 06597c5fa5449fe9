// tests/support/errors.hpp — checking what an operation refuses, shared by unit and integration
// tests (included by relative path: "../support/errors.hpp"):
//   CHECK(has(rejection([&] { (void)Vxlan::create(NetnsRef{}, o); }), "VxlanOptions.vni"));
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "nsnet/error.hpp"

namespace nsnet::test {

// The message of the InvalidArgument that fn throws ("" if it throws nothing or something else).
template <class Fn>
std::string rejection(Fn&& fn) {
    try {
        fn();
    } catch (const InvalidArgument& e) {
        return e.what();
    } catch (...) {
    }
    return {};
}

// Whether `what` contains `part` (the message is shown when it does not).
inline bool has(const std::string& what, const std::string& part) {
    INFO(what);
    return what.find(part) != std::string::npos;
}

}  // namespace nsnet::test
