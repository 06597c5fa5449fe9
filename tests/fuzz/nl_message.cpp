// Fuzz target nl_message: a received datagram walked as nsnet walks the kernel's replies —
// MessageRange, every MessageView (header fields, family headers) and the attributes after each
// family-header size netlink uses (AttrRange, nested attributes, every typed getter).
//
// Properties: iteration ends; each message lies inside the datagram, starts where the previous
// one's aligned length ended and is exactly nlmsg_len bytes; bad input only ever throws
// Error(EBADMSG).
#include <linux/netlink.h>

#include "fuzz.hpp"
#include "nsnet/nl/message.hpp"

using namespace nsnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const nl::Bytes whole = fuzz::bytes(data, size);
    fuzz::malformed_ok([&] {
        std::size_t expected_offset = 0, count = 0;
        int budget = 8;  // typed getters are nl_attr's job; here the walk is what matters
        for (nl::MessageView m : nl::MessageRange(whole)) {
            ++count;
            NSNET_FUZZ_CHECK(m.bytes().data() == whole.data() + expected_offset);
            NSNET_FUZZ_CHECK(m.bytes().size() == m.header().nlmsg_len);
            NSNET_FUZZ_CHECK(expected_offset + m.bytes().size() <= size);
            NSNET_FUZZ_CHECK(m.payload().size() + sizeof(nlmsghdr) == m.bytes().size());
            fuzz::consume(m.type() + m.flags() + m.seq() + m.pid());
            struct H12 {
                std::uint8_t b[12];
            };
            fuzz::malformed_ok([&] { fuzz::consume(m.family_header<H12>().b[11]); });
            fuzz::malformed_ok([&] { fuzz::consume(static_cast<std::size_t>(m.family_header<int>())); });
            // Family header sizes in use: 0 (none), 1 (rtgenmsg), 4 (nfgenmsg, error code),
            // 8 (ifaddrmsg, nhmsg), 12 (rtmsg, ndmsg, fib_rule_hdr), 16 (ifinfomsg).
            for (std::size_t h : {0, 1, 4, 8, 12, 16})
                fuzz::malformed_ok([&] { fuzz::consume(fuzz::walk_attrs(m.attrs(h), whole, 4, budget)); });
            expected_offset += nl::align(m.header().nlmsg_len);
            NSNET_FUZZ_CHECK(count <= size / sizeof(nlmsghdr));
        }
    });
    return 0;
}
