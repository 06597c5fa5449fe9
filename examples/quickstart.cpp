// The README's example: two namespaces joined by a veth pair, addressed and up, and the `ip a` view
// of the first. Run as root: sudo build/examples/quickstart
#include <nsnet/nsnet.hpp>
#include <cstdio>
int main() {
    auto n1 = nsnet::Netns::create("n1");                 // ip netns add n1
    auto n2 = nsnet::Netns::create("n2");
    auto veth = nsnet::VethPair::create(n1, {.name = "veth-n1",       // ip -n n1 link add veth-n1 type veth
                                             .peer = {.name = "veth-n2", .netns = n2}});  // peer name veth-n2 netns n2
    veth.first().add_address("10.10.10.1/24");           // ip -n n1 addr add ...
    veth.second().add_address("10.10.10.2/24");
    veth.first().up();
    veth.second().up();
    std::printf("%s", nsnet::show_addresses(n1).c_str());  // ip -n n1 a
}   // veth pair and both namespaces are removed here
