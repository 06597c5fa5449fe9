// Unit tests of include/nsnet/monitor/view.hpp (and event.hpp), no kernel needed: identity keys, value
// comparison, MonitorView::apply and differences(), event text — on objects decoded from real
// kernel dumps (tests/unit/golden/reply_*). The event loop itself needs a kernel: see
// tests/integration/monitor_test.cpp.
#include "nsnet/monitor/view.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "golden.hpp"

using namespace nsnet;

namespace {

// Every object of the captured dumps, keyed as a Monitor keys them.
MonitorView view_of(std::initializer_list<const char*> files) {
    MonitorView v;
    for (const char* name : files) {
        auto f = golden::load(name);
        for (const auto& b : f.blocks) {
            for (nl::MessageView m : nl::MessageRange(golden::as_bytes(b.bytes))) {
                if (auto l = rtnl::decode_link(m)) v.links[l->index] = *l;
                else if (auto a = rtnl::decode_address(m)) v.addresses[monitor_detail::key_of(*a)] = *a;
                else if (auto r = rtnl::decode_route(m)) v.routes[monitor_detail::key_of(*r)] = *r;
                else if (auto n = rtnl::decode_neighbor(m)) v.neighbors[monitor_detail::key_of(*n)] = *n;
                else if (auto u = rtnl::decode_rule(m)) v.rules[monitor_detail::key_of(*u)] = *u;
            }
        }
    }
    return v;
}

}  // namespace

TEST_CASE("keys tell apart what the kernel tells apart") {
    MonitorView v = view_of({"reply_link", "reply_addr", "reply_route4", "reply_neigh", "reply_rule"});
    CHECK(v.links.size() >= 3);
    CHECK(v.addresses.size() >= 5);
    CHECK(v.routes.size() >= 3);
    CHECK(v.neighbors.size() == 7);
    CHECK(v.rules.size() == 8);  // every rule of the dump is its own key

    // Two addresses differing only in prefix length are two objects.
    rtnl::AddressInfo a{.index = 3, .prefix = Prefix::parse("10.0.0.1/24")};
    rtnl::AddressInfo b = a;
    b.prefix = Prefix::parse("10.0.0.1/16");
    CHECK(monitor_detail::key_of(a) != monitor_detail::key_of(b));
    // ... while a changed label is the same object, changed.
    b = a;
    b.label = "x";
    CHECK(monitor_detail::key_of(a) == monitor_detail::key_of(b));
    CHECK_FALSE(monitor_detail::same(a, b));

    // IPv4 routes appended with another gateway are separate; IPv6 ones are one multipath route.
    rtnl::RouteInfo r4{.family = Family::V4, .dst = Prefix::parse("10.1.0.0/16"), .table = 254,
                       .gateway = IpAddress::parse("10.0.0.1"), .oif = 3};
    rtnl::RouteInfo r4b = r4;
    r4b.gateway = IpAddress::parse("10.0.0.2");
    CHECK(monitor_detail::key_of(r4) != monitor_detail::key_of(r4b));
    rtnl::RouteInfo r6{.family = Family::V6, .dst = Prefix::parse("2001:db8::/64"), .table = 254,
                       .gateway = IpAddress::parse("fe80::1"), .oif = 3, .metric = 1024};
    rtnl::RouteInfo r6b = r6;
    r6b.gateway = IpAddress::parse("fe80::2");
    CHECK(monitor_detail::key_of(r6) == monitor_detail::key_of(r6b));
    CHECK_FALSE(monitor_detail::same(r6, r6b));
    // A different metric is a different route.
    r6b = r6;
    r6b.metric = 100;
    CHECK(monitor_detail::key_of(r6) != monitor_detail::key_of(r6b));
}

TEST_CASE("apply() follows New/Changed/Deleted; differences() names what differs") {
    MonitorView kernel = view_of({"reply_link", "reply_addr", "reply_route4", "reply_neigh", "reply_rule"});
    MonitorView consumer = kernel;
    CHECK(differences(consumer, kernel).empty());

    // The consumer misses a deletion and a change, and has an extra object.
    auto gone = *kernel.neighbors.begin();
    kernel.neighbors.erase(gone.first);
    auto& link = kernel.links.begin()->second;
    link.mtu = 1234;
    rtnl::Rule extra{.from = Prefix::parse("10.9.9.9/32"), .priority = 5, .table = 9};
    consumer.rules[monitor_detail::key_of(extra)] = extra;

    auto d = differences(consumer, kernel);
    REQUIRE(d.size() == 3);
    std::string all;
    for (auto& x : d) all += x + "\n";
    INFO(all);
    CHECK(all.find("~ link") != std::string::npos);
    CHECK(all.find("mtu 1234") != std::string::npos);
    CHECK(all.find("- neighbor " + gone.second.address.to_string()) != std::string::npos);
    CHECK(all.find("- rule 5:\tfrom 10.9.9.9 lookup 9") != std::string::npos);

    // Applying the events a Monitor would deliver makes them agree.
    consumer.apply(MonitorEvent{EventType::Deleted, ObjectKind::Neighbor, false, gone.second, {}});
    consumer.apply(MonitorEvent{EventType::Changed, ObjectKind::Link, false, link, {}});
    consumer.apply(MonitorEvent{EventType::Deleted, ObjectKind::Rule, true, extra, {}});
    consumer.apply(MonitorEvent{EventType::Resync, ObjectKind::Link, true, ResyncInfo{}, {}});
    CHECK(differences(consumer, kernel).empty());
}

TEST_CASE("bridge timers in kind data do not count as a change; other kind data does") {
    rtnl::LinkInfo br{.index = 4, .name = "br0", .kind = "bridge", .info_data = {std::byte{1}}};
    rtnl::LinkInfo br2 = br;
    br2.info_data = {std::byte{2}};
    CHECK(monitor_detail::same(br, br2));
    rtnl::LinkInfo vx{.index = 5, .name = "vx0", .kind = "vxlan", .info_data = {std::byte{1}}};
    rtnl::LinkInfo vx2 = vx;
    vx2.info_data = {std::byte{2}};
    CHECK_FALSE(monitor_detail::same(vx, vx2));
}

TEST_CASE("multicast and proxy neighbour entries are not tracked") {
    rtnl::Neighbor n{.index = 3, .address = IpAddress::parse("10.0.0.2")};
    CHECK(monitor_detail::tracked(n));
    n.address = IpAddress::parse("224.0.0.22");
    CHECK_FALSE(monitor_detail::tracked(n));
    n.address = IpAddress::parse("ff02::16");
    CHECK_FALSE(monitor_detail::tracked(n));
    n.address = IpAddress::parse("2001:db8::1");
    n.proxy = true;
    CHECK_FALSE(monitor_detail::tracked(n));
}

TEST_CASE("event text names devices from the view") {
    MonitorView v;
    v.links[3] = rtnl::LinkInfo{.index = 3, .name = "eth0", .flags = unsigned{IFF_UP} | unsigned{IFF_LOWER_UP}, .mtu = 1500, .kind = "veth"};
    MonitorEvent e{EventType::New, ObjectKind::Address, false,
                   rtnl::AddressInfo{.index = 3, .prefix = Prefix::parse("192.168.1.10/24")}, {}};
    CHECK(to_string(e, &v) == "new address inet 192.168.1.10/24 dev eth0");
    CHECK(to_string(e) == "new address inet 192.168.1.10/24 dev #3");
    MonitorEvent l{EventType::Changed, ObjectKind::Link, true, v.links[3], {}};
    CHECK(to_string(l, &v) == "changed link 3: eth0 (veth) UP LOWER_UP mtu 1500 (synthetic)");
    MonitorEvent n{EventType::Deleted, ObjectKind::Neighbor, false,
                   rtnl::Neighbor{.index = 3, .address = IpAddress::parse("192.168.1.1"),
                                  .lladdr = MacAddress::parse("02:00:00:00:00:01")},
                   {}};
    CHECK(to_string(n, &v) == "deleted neighbor 192.168.1.1 dev eth0 lladdr 02:00:00:00:00:01 permanent");
    MonitorEvent r{EventType::Resync, ObjectKind::Link, true, ResyncInfo{"receive queue overrun (ENOBUFS)", 3, 1, 2, 7}, {}};
    CHECK(to_string(r) == "resync receive queue overrun (ENOBUFS): +3 ~1 -2 (7 stale datagrams discarded)");
}

TEST_CASE("event text shows the names a namespace's owner chose with their control bytes escaped") {
    MonitorView v;
    v.links[3] = rtnl::LinkInfo{.index = 3, .name = "e\x1b[2J", .mtu = 1500};
    MonitorEvent l{EventType::New, ObjectKind::Link, false, v.links[3], {}};
    CHECK(to_string(l, &v) == "new link 3: e\\x1b[2J DOWN mtu 1500");
    MonitorEvent a{EventType::New, ObjectKind::Address, false,
                   rtnl::AddressInfo{.index = 3, .prefix = Prefix::parse("192.168.1.10/24")}, {}};
    CHECK(to_string(a, &v) == "new address inet 192.168.1.10/24 dev e\\x1b[2J");
    rtnl::RouteInfo route{};
    route.dst = Prefix::parse("10.1.0.0/16");
    route.oif = 3;
    MonitorEvent r{EventType::New, ObjectKind::Route, false, route, {}};
    CHECK(to_string(r, &v).find("dev e\\x1b[2J") != std::string::npos);
    rtnl::Rule rule{};
    rule.iif = "in\x07";
    MonitorEvent ru{EventType::New, ObjectKind::Rule, false, rule, {}};
    CHECK(to_string(ru).find("iif in\\x07") != std::string::npos);
    for (const auto& e : {l, a, r, ru})
        for (char c : to_string(e, &v)) CHECK_FALSE(detail::is_control_byte(c));
}
