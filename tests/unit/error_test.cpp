// Unit tests of include/nsnet/error.hpp: what an nsnet::Error carries and how its message reads.
#include "nsnet/error.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

using nsnet::Error;
using nsnet::InvalidArgument;

TEST_CASE("Error carries errno, operation, object and the kernel's message") {
    Error e(EEXIST, "create veth", "veth-n1", "Device already exists", "peer veth-n2");
    CHECK(e.errnum() == EEXIST);
    CHECK(e.code() == std::errc::file_exists);
    CHECK(e.code().category() == std::generic_category());
    CHECK(e.operation() == "create veth");
    CHECK(e.object() == "veth-n1");
    CHECK(e.kernel_message() == "Device already exists");
    CHECK(e.detail() == "peer veth-n2");
    CHECK(e.bad_attribute_offset() == -1);
    CHECK(std::string(e.what()) ==
          "create veth 'veth-n1': " + std::generic_category().message(EEXIST) +
              " (kernel: Device already exists) [peer veth-n2]");
}

TEST_CASE("Error's message leaves out the parts it does not have") {
    CHECK(std::string(Error(ENOENT, "open network namespace").what()) ==
          "open network namespace: " + std::generic_category().message(ENOENT));
    CHECK(std::string(Error(ENODEV, "set link up", "eth9").what()) ==
          "set link up 'eth9': " + std::generic_category().message(ENODEV));
    CHECK(std::string(Error(EPERM, "add route", "", "", "table 10").what()) ==
          "add route: " + std::generic_category().message(EPERM) + " [table 10]");
}

TEST_CASE("Error records the offending attribute's offset") {
    Error e(EINVAL, "add address", "eth0", "Invalid prefix length");
    e.set_bad_attribute_offset(36);
    CHECK(e.bad_attribute_offset() == 36);
    CHECK(std::string(e.what()).find("Invalid prefix length") != std::string::npos);
}

TEST_CASE("Error is a std::system_error and can be caught as one") {
    try {
        throw Error(ENOBUFS, "dump links", "ns1");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::no_buffer_space);
        CHECK(std::string(e.what()).find("dump links 'ns1'") == 0);
    }
    try {
        throw Error(EACCES, "open netlink socket");
    } catch (const std::runtime_error& e) {  // system_error derives from runtime_error
        CHECK(std::string(e.what()).find("open netlink socket") == 0);
    }
}

TEST_CASE("invalid_argument throws InvalidArgument (EINVAL) naming the value") {
    try {
        nsnet::invalid_argument("create vlan", "eth0.4095", "VLAN id 4095 is outside 1..4094");
        FAIL("invalid_argument returned");
    } catch (const InvalidArgument& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK(e.operation() == "create vlan");
        CHECK(e.object() == "eth0.4095");
        CHECK(e.kernel_message().empty());  // the kernel never saw it
        CHECK(e.detail() == "VLAN id 4095 is outside 1..4094");
        std::string what = e.what();
        CHECK(what.find("'eth0.4095'") != std::string::npos);
        CHECK(what.find("4095 is outside 1..4094") != std::string::npos);
    }
    // InvalidArgument is an Error too.
    CHECK_THROWS_AS(nsnet::invalid_argument("op", "x", "why"), Error);
}

TEST_CASE("what() is one printable line: control bytes in any part are shown escaped") {
    // An interface name may hold ESC (the kernel allows it, so a container can choose one); a
    // value may hold a newline. Neither reaches a log or a terminal raw.
    using namespace std::string_literals;
    Error e(ENODEV, "find link", "\x1b[2Jx\ny", "", "no such device\r\tnear\x7f \0end"s);
    CHECK(std::string(e.what()) ==
          "find link '\\x1b[2Jx\\ny': " + std::generic_category().message(ENODEV) + " [no such device\\r\\tnear\\x7f \\0end]");
    CHECK(e.object() == "\x1b[2Jx\ny");  // the values themselves are kept as given
    for (char c : std::string(e.what())) CHECK_FALSE(nsnet::detail::is_control_byte(c));
    // A huge object (a bad value as given) is kept whole but shown cut.
    Error huge(EINVAL, "op", std::string(100000, 'v'));
    CHECK(huge.object().size() == 100000);
    CHECK(std::string(huge.what()).find("'" + std::string(Error::max_shown_object, 'v') + "...'") != std::string::npos);
    CHECK(std::string(huge.what()).size() < Error::max_shown_object + 100);
    // Bytes above 0x7f (UTF-8) are not control bytes.
    CHECK(std::string(Error(EINVAL, "op", "caf\xc3\xa9").what()).find("'caf\xc3\xa9'") != std::string::npos);
}

TEST_CASE("printable: control bytes escaped, everything else as is, nothing cut") {
    using namespace std::string_literals;
    CHECK(nsnet::printable("eth0") == "eth0");
    CHECK(nsnet::printable("a\x1b[2Jb\tc\x7f\0d"s) == "a\\x1b[2Jb\\tc\\x7f\\0d");
    CHECK(nsnet::printable("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(nsnet::printable(std::string(1000, 'n')).size() == 1000);
    // Escaping twice changes nothing more: the text shown has no control byte left.
    const std::string once = nsnet::printable("x\x1by\n");
    CHECK(nsnet::printable(once) == once);
}

TEST_CASE("throw_errno reports errno, or the error it is given") {
    errno = ENOENT;
    try {
        nsnet::throw_errno("open", "/run/netns/x");
    } catch (const Error& e) {
        CHECK(e.errnum() == ENOENT);
        CHECK(e.object() == "/run/netns/x");
    }
    errno = 0;
    try {
        nsnet::throw_errno("bind", "", EADDRINUSE);
    } catch (const Error& e) {
        CHECK(e.errnum() == EADDRINUSE);
        CHECK(std::string(e.what()) == "bind: " + std::generic_category().message(EADDRINUSE));
    }
}
