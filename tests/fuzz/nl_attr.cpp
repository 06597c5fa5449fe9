// Fuzz target nl_attr: a run of netlink attributes (the bytes after a family header): AttrRange,
// find(), AttrTable, nested attributes, every typed getter, and a round trip through
// MessageBuilder::put (re-encoding the attributes read must give back the same types and payloads).
#include <linux/netlink.h>

#include <utility>
#include <vector>

#include "fuzz.hpp"
#include "nsnet/nl/attr.hpp"
#include "nsnet/nl/message.hpp"

using namespace nsnet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const nl::Bytes whole = fuzz::bytes(data, size);
    const nl::AttrRange range(whole);
    int budget = 64;
    fuzz::consume(fuzz::walk_attrs(range, whole, 8, budget));

    fuzz::malformed_ok([&] {
        std::uint16_t wanted = size ? data[0] : 0;
        if (auto a = range.find(wanted)) NSNET_FUZZ_CHECK(a->type() == wanted);
    });
    fuzz::malformed_ok([&] {
        nl::AttrTable<32> table(range);
        for (std::uint16_t t = 0; t < 40; ++t)
            if (table.has(t)) NSNET_FUZZ_CHECK(t <= 32 && table[t]->type() == t);
    });

    // Round trip: read everything, write it again, read it back.
    std::vector<std::pair<std::uint16_t, nl::Bytes>> read;
    try {
        for (nl::Attr a : range) read.emplace_back(a.type(), a.payload());
    } catch (const Error& e) {
        NSNET_FUZZ_CHECK(e.errnum() == EBADMSG);
        return 0;
    }
    nl::MessageBuilder b(0, 0);
    for (auto& [type, payload] : read) b.put(type, payload.data(), payload.size());
    nl::MessageView m(b.bytes());
    std::size_t i = 0;
    for (nl::Attr a : m.attrs(0)) {
        NSNET_FUZZ_CHECK(i < read.size());
        NSNET_FUZZ_CHECK(a.type() == read[i].first);
        NSNET_FUZZ_CHECK(a.size() == read[i].second.size());
        NSNET_FUZZ_CHECK(std::equal(a.payload().begin(), a.payload().end(), read[i].second.begin()));
        ++i;
    }
    NSNET_FUZZ_CHECK(i == read.size());
    return 0;
}
