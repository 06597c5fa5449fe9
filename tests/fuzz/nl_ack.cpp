// Fuzz target nl_ack: the kernel's answers — NLMSG_ERROR acks with extended-ack TLVs (parse_ack)
// and NLMSG_DONE with a dump status (parse_done) — and the Error built from them (to_error).
// Every message of the datagram is parsed both ways, whatever its type.
//
// Properties: the errno read is never negative; a parsed ack turns into an Error whose text names
// the operation; bad input only ever throws Error(EBADMSG).
#include <linux/netlink.h>

#include <string>

#include "fuzz.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/nl/transact.hpp"

using namespace nsnet;

namespace {

void check(const nl::AckInfo& a) {
    NSNET_FUZZ_CHECK(a.error >= 0);
    fuzz::consume(a.kernel_message.size() + a.seq + a.missing_attribute);
    if (a.error == 0) return;
    Error e = a.to_error("fuzz operation", "object");
    NSNET_FUZZ_CHECK(e.errnum() == a.error);
    NSNET_FUZZ_CHECK(std::string(e.what()).find("fuzz operation 'object'") == 0);
    NSNET_FUZZ_CHECK(e.kernel_message() == a.kernel_message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::malformed_ok([&] {
        for (nl::MessageView m : nl::MessageRange(fuzz::bytes(data, size))) {
            fuzz::malformed_ok([&] { check(nl::parse_ack(m)); });
            fuzz::malformed_ok([&] { check(nl::parse_done(m)); });
        }
    });
    return 0;
}
