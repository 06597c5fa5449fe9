// Watching a namespace change (`ip monitor`): a Monitor subscribes, then events arrive as links,
// addresses and routes are created. Run as root: monitor [PREFIX]
#include <nsnet/nsnet.hpp>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (::geteuid() != 0) { std::puts("SKIP: needs root"); return 77; }
    std::string p = argc > 1 ? argv[1] : "ex" + std::to_string(::getpid()) + "-";
    try {
        auto ns = nsnet::Netns::create(p + "mon");               // ip netns add Pmon
        // ip -n Pmon monitor link address route (no neighbours or rules: fewer events to print)
        auto mon = nsnet::Monitor::open(ns, {.neighbors = false, .rules = false});
        std::printf("initial view: %zu links\n", mon.view().links.size());

        auto veth = nsnet::VethPair::create(ns, {.name = "m0", .peer = {.name = "m1"}});
        veth.first().add_address("192.0.2.1/24");                // ip -n Pmon addr add 192.0.2.1/24 dev m0
        veth.first().up();                                       // (brings the connected route 192.0.2.0/24)
        veth.second().up();

        // Read events until the address arrived (or 3 s passed), printing each like ip monitor.
        bool saw_link = false, saw_address = false;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (!(saw_link && saw_address) && std::chrono::steady_clock::now() < deadline) {
            auto e = mon.next(std::chrono::milliseconds(200));
            if (!e) continue;
            std::printf("%s\n", nsnet::to_string(*e, &mon.view()).c_str());
            if (e->type == nsnet::EventType::New && e->link() && e->link()->name == "m0") saw_link = true;
            if (e->type == nsnet::EventType::New && e->address()) saw_address = true;
        }
        // The monitor's view now agrees with a fresh dump (ip link; ip addr; ip route).
        auto diff = nsnet::differences(mon.view(), nsnet::snapshot(ns, mon.options()));
        std::printf("saw m0: %d, saw its address: %d, view differs from a dump in %zu places\n", saw_link,
                    saw_address, diff.size());
        return saw_link && saw_address ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
