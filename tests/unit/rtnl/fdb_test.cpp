// Unit tests for include/nsnet/rtnl/fdb.hpp (and Fdb's checks before any I/O): request bytes equal
// `bridge fdb add|append|replace|del|show` (tests/unit/golden/fdb_*.txt); decode_fdb reads the
// kernel's dump replies (fdb_reply_*.txt) and prints them as bridge does.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "../golden.hpp"
#include "nsnet/fdb.hpp"
#include "nsnet/rtnl/fdb.hpp"

namespace {

using nsnet::IpAddress;
using nsnet::MacAddress;
using namespace nsnet::rtnl;
namespace golden = nsnet::golden;

IpAddress ip(const char* s) { return IpAddress::parse(s); }
MacAddress mac(const char* s) { return MacAddress::parse(s); }

std::string comment(const char* file, const char* key) {
    std::ifstream in(std::string(NSNET_GOLDEN_DIR) + "/" + file + ".txt");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return line.substr(std::string(key).size());
    return {};
}

// "# links in NS: lo=1 eth0=2 ..." -> ifindex -> name
std::map<int, std::string> link_names(const char* file) {
    std::string links = comment(file, "# links in ");
    links = links.substr(links.find(':') + 1);
    std::map<int, std::string> names;
    std::istringstream in(links);
    for (std::string item; in >> item;) {
        auto eq = item.find('=');
        names[std::stoi(item.substr(eq + 1))] = item.substr(0, eq);
    }
    return names;
}

// bridge's output lines ("# output: line|line|"), trailing blanks trimmed.
std::vector<std::string> bridge_lines(const char* file) {
    std::vector<std::string> lines;
    std::istringstream in(comment(file, "# output: "));
    for (std::string l; std::getline(in, l, '|');) {
        while (!l.empty() && l.back() == ' ') l.pop_back();
        if (!l.empty()) lines.push_back(l);
    }
    return lines;
}

std::vector<FdbInfo> decode_all(const char* file) {
    auto g = golden::load(file);
    std::vector<FdbInfo> out;
    for (const auto& block : g.blocks)
        for (nsnet::nl::MessageView m : nsnet::nl::MessageRange(golden::as_bytes(block.bytes)))
            if (auto f = decode_fdb(m)) out.push_back(*f);
    return out;
}

template <class Fn>
std::string refusal(Fn&& fn) {
    try {
        fn();
    } catch (const nsnet::Error& e) {
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("fdb requests equal `bridge fdb ...` on a vxlan (vx0 = ifindex 4)") {
    SUBCASE("append 00:00:00:00:00:00 dst 172.16.0.30: head-end replication entry") {
        auto msg = fdb_new({.index = 4, .dst = ip("172.16.0.30")}, FdbMode::Append);
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_append_zero"));
    }
    SUBCASE("add MAC dst IP") {
        auto msg = fdb_new({.index = 4, .mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.30")});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_add"));
    }
    SUBCASE("del MAC dst IP") {
        auto msg = fdb_del({.index = 4, .mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.30")});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_del"));
    }
    SUBCASE("replace MAC dst IP") {
        auto msg = fdb_new({.index = 4, .mac = mac("02:00:00:00:00:09"), .dst = ip("172.16.0.31")}, FdbMode::Replace);
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_replace"));
    }
    SUBCASE("add MAC dst IP dynamic") {
        auto msg = fdb_new({.index = 4, .mac = mac("02:00:00:00:00:0b"), .dst = ip("172.16.0.32"), .state = FdbState::Dynamic});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_add_dynamic"));
    }
    SUBCASE("append zeros dst port vni via") {
        auto msg = fdb_new({.index = 4, .dst = ip("172.16.0.40"), .port = 4790, .vni = 200u, .via = 3}, FdbMode::Append);
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_append_opts"));
    }
    SUBCASE("del zeros dst IP: one remote of the default entry") {
        auto msg = fdb_del({.index = 4, .dst = ip("172.16.0.30")});
        NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_del_zero"));
    }
    SUBCASE("show dev vx0: the dump request") {
        NSNET_CHECK_GOLDEN(golden::as_sent(fdb_dump(4), false), golden::load("fdb_show_dev").block(2));
    }
}

TEST_CASE("fdb request on a bridge port equals `bridge fdb add MAC dev veth-n1 master static`") {
    auto msg = fdb_new({.index = 3, .mac = mac("02:00:00:00:00:0a"), .state = FdbState::Static, .table = FdbTable::Master});
    NSNET_CHECK_GOLDEN(golden::as_sent(msg), golden::load("fdb_add_brport_static"));
}

TEST_CASE("bad fdb entries are refused before anything is sent") {
    CHECK(refusal([] { fdb_new({.index = 4, .vni = 1u << 24}); }).find("VNI 16777216") != std::string::npos);
    CHECK(refusal([] { fdb_new({.index = 4, .vlan = 4095}); }).find("VLAN id 4095") != std::string::npos);
    CHECK(refusal([] { fdb_del({.index = 0}); }).find("no device") != std::string::npos);
}

TEST_CASE("FdbOptions: typed and text values give bridge's bytes; the entry is named as bridge would") {
    using nsnet::FdbOptions;
    const nsnet::NetnsRef none{};
    nsnet::Link vx0(none, 4, "vx0");
    auto r = nsnet::detail::resolve_fdb(none, {.dev = vx0, .dst = "172.16.0.30"}, "append fdb entry");
    CHECK(r.shown == "00:00:00:00:00:00 dev vx0 dst 172.16.0.30");
    NSNET_CHECK_GOLDEN(golden::as_sent(fdb_new(r.spec, FdbMode::Append)), golden::load("fdb_append_zero"));
    auto t = nsnet::detail::resolve_fdb(none, {.dev = vx0, .mac = MacAddress{}, .dst = ip("172.16.0.30")}, "append fdb entry");
    NSNET_CHECK_GOLDEN(golden::as_sent(fdb_new(t.spec, FdbMode::Append)), golden::load("fdb_append_zero"));
    nsnet::Link port(none, 3, "veth-n1");
    auto b = nsnet::detail::resolve_fdb(
        none, {.dev = port, .mac = "02:00:00:00:00:0a", .state = FdbState::Static, .table = FdbTable::Master}, "create fdb entry");
    CHECK(b.shown == "02:00:00:00:00:0a dev veth-n1 master");
    NSNET_CHECK_GOLDEN(golden::as_sent(fdb_new(b.spec)), golden::load("fdb_add_brport_static"));
}

TEST_CASE("bad FdbOptions are refused before anything is sent, naming the field and the value") {
    using nsnet::FdbOptions;
    const nsnet::NetnsRef none{};
    nsnet::Link vx0(none, 4, "vx0");
    auto rejects = [&](const FdbOptions& o, const std::string& needle) {
        try {
            nsnet::detail::resolve_fdb(none, o, "create fdb entry");
            FAIL("accepted: " << needle);
        } catch (const nsnet::InvalidArgument& e) {
            CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, std::string(e.what()));
            CHECK(e.errnum() == EINVAL);
        }
    };
    rejects({.dev = vx0, .dst = "172.16.0.30", .vni = 16777216u}, "FdbOptions.vni 16777216 exceeds 2^24-1");
    rejects({.dev = vx0, .dst = "172.16.0.30", .vni = 16777216u}, "create fdb entry '00:00:00:00:00:00 dst 172.16.0.30'");
    rejects({.dev = vx0, .vlan = 4095}, "FdbOptions.vlan 4095 is outside 1..4094");
    rejects({.dev = vx0, .vlan = 0}, "FdbOptions.vlan 0");
    rejects({.dev = vx0, .mac = "02:00:00:00:09"}, "FdbOptions.mac '02:00:00:00:09' is not a MAC address");
    rejects({.dev = vx0, .dst = "172.16.0.300"}, "FdbOptions.dst '172.16.0.300' is not an IPv4 or IPv6 address");
    rejects({.dst = "172.16.0.30"}, "FdbOptions.dev is not set");
    rejects({.dev = vx0, .via = "a/b"}, "a/b");
    rejects({.dev = nsnet::Link{}}, "empty or removed link handle");
    // the values are checked before the device, which would need a namespace to look up
    rejects({.dev = "nosuchdev0", .mac = "zz:00:00:00:00:09"}, "FdbOptions.mac 'zz:00:00:00:00:09'");
}

TEST_CASE("FdbEntry is a move-only owner; a default one owns nothing") {
    static_assert(!std::is_copy_constructible_v<nsnet::FdbEntry>);
    static_assert(std::is_nothrow_move_constructible_v<nsnet::FdbEntry>);
    static_assert(!std::is_convertible_v<nsnet::FdbEntry&, nsnet::FdbEntryRef&>);
    nsnet::FdbEntry none;
    CHECK_FALSE(none.owned());
    none.remove();
    CHECK(none.release().description().empty());
}

TEST_CASE("decode_fdb reads `bridge fdb show dev vx0` after learning") {
    auto entries = decode_all("fdb_reply_vxlan");
    REQUIRE(entries.size() == 2);
    const FdbInfo& learned = entries[0];
    CHECK(learned.index == 3);
    CHECK(learned.dynamic());
    CHECK(learned.self());
    CHECK_FALSE(learned.permanent());
    CHECK(learned.dst == ip("172.16.0.20"));
    CHECK_FALSE(learned.mac.is_zero());
    const FdbInfo& flood = entries[1];
    CHECK(flood.mac.is_zero());
    CHECK(flood.permanent());
    CHECK(flood.dst == ip("172.16.0.40"));
    CHECK(flood.port == 4790);
    CHECK(flood.vni == 200u);
    CHECK(flood.via == 2);
    // Printed as bridge prints them (without "dev vx0": bridge was asked for dev vx0 only).
    auto names = link_names("fdb_reply_vxlan");
    auto name = [&](int i) { return names.count(i) ? names[i] : std::string(); };
    auto lines = bridge_lines("fdb_reply_vxlan");
    REQUIRE(lines.size() == 2);
    CHECK(learned.to_string(name, false) == lines[0]);
    CHECK(flood.to_string(name, false) == lines[1]);
}

TEST_CASE("decode_fdb reads a bridge's entries (`bridge fdb show br br0`)") {
    auto entries = decode_all("fdb_reply_bridge");
    REQUIRE(entries.size() == 4);
    const FdbInfo& st = entries[1];
    CHECK(st.mac == mac("02:00:00:00:00:0a"));
    CHECK(st.index == 8);   // p1
    CHECK(st.master == 6);  // br0
    CHECK(st.in_master());
    CHECK(st.is_static());
    CHECK_FALSE(st.dynamic());
    auto names = link_names("fdb_reply_bridge");
    auto name = [&](int i) { return names.count(i) ? names[i] : std::string(); };
    auto lines = bridge_lines("fdb_reply_bridge");
    REQUIRE(lines.size() == entries.size());
    for (std::size_t i = 0; i < lines.size(); ++i) CHECK(entries[i].to_string(name) == lines[i]);
}

TEST_CASE("decode_fdb ignores what is not an FDB entry") {
    auto link = golden::load("vxlan_reply_link");
    for (nsnet::nl::MessageView m : nsnet::nl::MessageRange(golden::as_bytes(link.block(1).bytes)))
        CHECK_FALSE(decode_fdb(m));
    // An AF_INET neighbour (ip neigh) is not an FDB entry.
    auto msg = fdb_new({.index = 4, .dst = ip("172.16.0.30")}, FdbMode::Append);
    std::vector<std::uint8_t> v = golden::as_sent(msg);
    v[16] = AF_INET;
    CHECK_FALSE(decode_fdb(nsnet::nl::MessageView(golden::as_bytes(v))));
    v[16] = AF_BRIDGE;
    auto back = decode_fdb(nsnet::nl::MessageView(golden::as_bytes(v)));
    REQUIRE(back);
    CHECK(back->dst == ip("172.16.0.30"));
    CHECK(back->permanent());
}
