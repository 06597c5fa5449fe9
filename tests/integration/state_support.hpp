// tests/integration/state_support.hpp — "nothing changed" checks for the reliability tests.
//
// NetnsState::of(ns) records what a test promises to leave as it found it in a namespace: its links
// (name, kind, master, mtu, up), addresses, routes of every table, and net.ipv4.ip_forward. diff()
// lists what differs, as text for a failure message. own_leftovers(prefix) lists named namespaces
// and /run/netns mounts whose names start with a prefix (what a failed setup may have left), and
// starting_links() the links of the test process's own namespace (read with if_nameindex(), so the
// check does not depend on nsnet).
#pragma once

#include <net/if.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/route.hpp"
#include "nsnet/sysctl.hpp"

namespace nsnet::test {

struct NetnsState {
    std::set<std::string> links{};
    std::set<std::string> addresses{};
    std::set<std::string> routes{};
    std::string ip_forward{};

    static NetnsState of(const NetnsRef& ns) {
        NetnsState s;
        for (const auto& l : Link::list(ns))
            s.links.insert(std::to_string(l.index) + ":" + l.name + " kind=" + l.kind + " master=" +
                           std::to_string(l.master) + " mtu=" + std::to_string(l.mtu) + (l.is_up() ? " up" : " down"));
        auto all = ns.with_rtnl([](nl::Socket& sock) {
            auto m = rtnl::address_dump();
            return nl::dump_collect(sock, m, "list addresses", rtnl::decode_address);
        });
        for (const auto& a : all) s.addresses.insert(std::to_string(a.index) + " " + a.prefix.to_string());
        for (const auto& r : Route::list(ns, {.all_tables = true})) s.routes.insert(to_string(r));
        s.ip_forward = sysctl(ns, "net.ipv4.ip_forward");
        return s;
    }

    // "" when equal, else what was added (+) and removed (-).
    std::string diff(const NetnsState& after) const {
        std::string out;
        auto one = [&](const char* what, const std::set<std::string>& a, const std::set<std::string>& b) {
            std::vector<std::string> added, removed;
            std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(added));
            std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(removed));
            for (const auto& x : added) out += std::string("+ ") + what + " " + x + "\n";
            for (const auto& x : removed) out += std::string("- ") + what + " " + x + "\n";
        };
        one("link", links, after.links);
        one("address", addresses, after.addresses);
        one("route", routes, after.routes);
        if (ip_forward != after.ip_forward) out += "ip_forward " + ip_forward + " -> " + after.ip_forward + "\n";
        return out;
    }
};

// Named namespaces and /run/netns mounts whose names start with `prefix`.
inline std::vector<std::string> own_leftovers(const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& n : Netns::list())
        if (n.rfind(prefix, 0) == 0) out.push_back("namespace " + n);
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, point;
        if (!(fields >> id >> parent >> dev >> root >> point)) continue;
        if (point.rfind(std::string("/run/netns/") + prefix, 0) == 0) out.push_back("mount " + point);
    }
    return out;
}

// The links of the test process's namespace, "index:name".
inline std::set<std::string> starting_links() {
    std::set<std::string> links;
    if (struct if_nameindex* list = ::if_nameindex()) {
        for (struct if_nameindex* i = list; i->if_index != 0; ++i)
            links.insert(std::to_string(i->if_index) + ":" + i->if_name);
        ::if_freenameindex(list);
    }
    return links;
}

inline std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += x + "; ";
    return s;
}

}  // namespace nsnet::test
