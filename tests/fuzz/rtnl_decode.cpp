// Fuzz target rtnl_decode: an rtnetlink dump datagram decoded as nsnet decodes the kernel's replies
// and events. Every message goes to every decoder (each returns nullopt for types it does not
// handle): links (and, from their IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA / IFLA_PROTINFO, the
// bridge, bridge port, vxlan, macvlan, vlan, ipvlan and tun decoders), addresses, routes, rules,
// neighbours, fdb entries and nexthops. The decoded values are then formatted as nsnet shows them
// (to_string, describe, the Monitor's keys and event text, the `ip a` view), which must never throw.
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "nsnet/monitor/view.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/show.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/bridge.hpp"
#include "nsnet/rtnl/fdb.hpp"
#include "nsnet/rtnl/ipvlan.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/macvlan.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/nexthop.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"
#include "nsnet/rtnl/tun.hpp"
#include "nsnet/rtnl/vlan.hpp"
#include "nsnet/rtnl/vxlan.hpp"

using namespace nsnet;
using fuzz::consume;
using fuzz::malformed_ok;
using fuzz::no_throw;

namespace {

// A kind decoder applied both as nsnet applies it (gated on the link's kind) and directly to the
// raw data, so its attribute handling is reached whatever IFLA_INFO_KIND says.
template <class Gated, class Raw>
void kind(const char* name, Gated gated, Raw raw, nl::AttrRange data) {
    malformed_ok([&] {
        if (auto v = gated()) no_throw(name, [&] { consume(v->to_string().size()); });
    });
    malformed_ok([&] {
        auto v = raw(data);
        no_throw(name, [&] { consume(v.to_string().size()); });
    });
}

void link_kinds(const rtnl::LinkInfo& l) {
    kind("bridge", [&] { return rtnl::decode_bridge(l); }, [](nl::AttrRange d) { return rtnl::decode_bridge_data(d); }, l.data());
    kind("bridge port", [&] { return rtnl::decode_bridge_port(l); }, [](nl::AttrRange d) { return rtnl::decode_bridge_port_data(d); }, l.slave_data());
    kind("bridge port (protinfo)", [&] { return rtnl::decode_bridge_port(l); }, [](nl::AttrRange d) { return rtnl::decode_bridge_port_data(d); },
         nl::AttrRange(nl::Bytes(l.protinfo.data(), l.protinfo.size())));
    kind("vxlan", [&] { return rtnl::decode_vxlan(l); }, [](nl::AttrRange d) { return rtnl::decode_vxlan_data(d); }, l.data());
    kind("macvlan", [&] { return rtnl::decode_macvlan(l); }, [](nl::AttrRange d) { return rtnl::decode_macvlan_data(d); }, l.data());
    kind("vlan", [&] { return rtnl::decode_vlan(l); }, [](nl::AttrRange d) { return rtnl::decode_vlan_data(d); }, l.data());
    kind("ipvlan", [&] { return rtnl::decode_ipvlan(l); }, [](nl::AttrRange d) { return rtnl::decode_ipvlan_data(d); }, l.data());
    kind("tun", [&] { return rtnl::decode_tun(l); }, [](nl::AttrRange d) { return rtnl::decode_tun_data(d); }, l.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<rtnl::LinkInfo> links;
    std::vector<rtnl::AddressInfo> addresses;
    std::vector<MonitorObject> objects;
    malformed_ok([&] {
        for (nl::MessageView m : nl::MessageRange(fuzz::bytes(data, size))) {
            malformed_ok([&] {
                if (auto l = rtnl::decode_link(m)) {
                    link_kinds(*l);
                    links.push_back(*l);
                    objects.emplace_back(std::move(*l));
                }
            });
            malformed_ok([&] {
                if (auto a = rtnl::decode_address(m)) {
                    NSNET_FUZZ_CHECK(a->prefix.length() <= a->prefix.address().size() * 8);
                    no_throw("address key", [&] { consume(monitor_detail::key_of(*a).size()); });
                    addresses.push_back(*a);
                    objects.emplace_back(std::move(*a));
                }
            });
            malformed_ok([&] {
                if (auto r = rtnl::decode_route(m)) {
                    NSNET_FUZZ_CHECK(r->dst.family() == r->family);
                    no_throw("route key", [&] { consume(monitor_detail::key_of(*r).size()); });
                    objects.emplace_back(std::move(*r));
                }
            });
            malformed_ok([&] {
                if (auto r = rtnl::decode_rule(m)) {
                    no_throw("rule text", [&] { consume(rtnl::describe(*r).size() + monitor_detail::key_of(*r).size()); });
                    objects.emplace_back(std::move(*r));
                }
            });
            malformed_ok([&] {
                if (auto n = rtnl::decode_neighbor(m)) {
                    no_throw("neighbour text", [&] { consume(rtnl::describe(*n).size() + monitor_detail::key_of(*n).size()); });
                    objects.emplace_back(std::move(*n));
                }
            });
            malformed_ok([&] {
                if (auto f = rtnl::decode_fdb(m))
                    no_throw("fdb text", [&] { consume(f->to_string().size() + f->to_string({}, false).size()); });
            });
            malformed_ok([&] {
                if (auto n = rtnl::decode_nexthop(m)) no_throw("nexthop text", [&] { consume(rtnl::describe(*n).size()); });
            });
        }
    });
    // What a consumer of these decoders shows: the Monitor's event text (device names from a view
    // that holds the links) and `ip a`.
    MonitorView view;
    for (const auto& l : links) view.links[l.index] = l;
    for (const auto& o : objects) {
        no_throw("monitor text", [&] {
            MonitorEvent e;
            e.object = o;
            consume(monitor_detail::describe_object(o, &view).size() + to_string(e, &view).size());
        });
    }
    no_throw("ip a", [&] { consume(detail::format_addresses(links, addresses).size()); });
    return 0;
}
