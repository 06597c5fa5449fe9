// Workload C: a translation unit that includes the umbrella header and creates one veth pair.
#include <nsnet/nsnet.hpp>

int main() {
    auto v = nsnet::VethPair::create(nsnet::NetnsRef::current(), {.name = "c-a", .peer = {.name = "c-b"}});
    return v.first().index() > 0 ? 0 : 1;
}
