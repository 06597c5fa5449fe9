// A second translation unit for the separately compiled consumer: a single header first, then the
// umbrella (headers must not depend on their include order), and a use of a function whose body
// lives in the implementation unit (so a missing NSNET_SEPARATE_COMPILATION or a missing
// implementation fails to link, and a body defined in two units fails too).
#include <nsnet/show.hpp>
#include <nsnet/nsnet.hpp>
#include <cstdint>

std::uint64_t nsnet_consumer_second_unit_links() { return nsnet::NetnsRef::current().inode(); }
