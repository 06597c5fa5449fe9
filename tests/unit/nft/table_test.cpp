// Unit tests for include/nsnet/nft/table.hpp: NEWTABLE/DELTABLE equal nft's bytes (golden captures),
// the comment round-trips through libnftnl's user-data TLV, decoding reads what the kernel sends.
#include "nsnet/nft/table.hpp"

#include <doctest/doctest.h>

#include "golden.hpp"

using namespace nsnet;
using namespace nsnet::test;

namespace {
ByteVec framed(const nl::MessageBuilder& m) {
    nft::Batch b;
    b.add(m, "test", "test");
    return to_vec(b.encode(0, false));
}
}  // namespace

TEST_CASE("table_new / table_del equal `nft add table ip nsnet` / `nft delete table ip nsnet`") {
    nft::Table t;
    t.name = "nsnet";
    ByteVec want = golden_bytes("nft_add_table");
    ByteVec got = framed(nft::table_new(t));
    CHECK_MESSAGE(got == want, first_difference(got, want));
    want = golden_bytes("nft_delete_table");
    got = framed(nft::table_del(nft::TableFamily::Ip, "nsnet"));
    CHECK_MESSAGE(got == want, first_difference(got, want));
}

TEST_CASE("a table comment is libnftnl's user-data TLV and decodes back") {
    nft::Table t{.family = nft::TableFamily::Ip, .name = "nsnet", .flags = 0, .comment = std::string("managed by nsnet")};
    auto m = nft::table_new(t, NLM_F_EXCL);
    CHECK(m.flags() == (NLM_F_REQUEST | NLM_F_EXCL));
    nl::MessageView v(m.bytes());
    nl::AttrTable<NFTA_TABLE_MAX> a(v.attrs<nfgenmsg>());
    REQUIRE(a[NFTA_TABLE_USERDATA]);
    auto u = to_vec(a[NFTA_TABLE_USERDATA]->payload());
    REQUIRE(u.size() == 2 + 17);
    CHECK(u[0] == 0);   // NFTNL_UDATA_TABLE_COMMENT
    CHECK(u[1] == 17);  // "managed by nsnet" + NUL
    nft::Table back = nft::decode_table(v);
    CHECK(back.name == "nsnet");
    CHECK(back.comment == std::optional<std::string>("managed by nsnet"));
    CHECK_FALSE(back.handle);
}

TEST_CASE("decode_table reads handle, use and flags; tolerates user data without a comment") {
    nl::MessageBuilder m = nft::make_message(NFT_MSG_NEWTABLE, 0, nft::TableFamily::Ip);
    m.put_string(NFTA_TABLE_NAME, "t");
    m.put_be32(NFTA_TABLE_FLAGS, 0);
    m.put_be32(NFTA_TABLE_USE, 3);
    m.put(NFTA_TABLE_HANDLE, __builtin_bswap64(42));
    const std::uint8_t udata[] = {5, 2, 'x', 0};  // some other TLV type
    m.put(NFTA_TABLE_USERDATA, udata, sizeof udata);
    nft::Table t = nft::decode_table(nl::MessageView(m.bytes()));
    CHECK(t.use == 3);
    CHECK(t.handle == std::optional<std::uint64_t>(42));
    CHECK_FALSE(t.comment);
}

TEST_CASE("table_del_handle addresses the table by handle only") {
    auto m = nft::table_del_handle(nft::TableFamily::Ip, 9, NLM_F_NONREC);
    nl::MessageView v(m.bytes());
    CHECK(v.flags() == (NLM_F_REQUEST | NLM_F_NONREC));
    nl::AttrTable<NFTA_TABLE_MAX> a(v.attrs<nfgenmsg>());
    CHECK_FALSE(a.has(NFTA_TABLE_NAME));
    REQUIRE(a[NFTA_TABLE_HANDLE]);
    CHECK(__builtin_bswap64(a[NFTA_TABLE_HANDLE]->u64()) == 9);
}

TEST_CASE("table names are validated") {
    nft::Table t;
    CHECK_THROWS_AS(nft::table_new(t), InvalidArgument);
    t.name = std::string(255, 'x');
    CHECK_NOTHROW(nft::table_new(t));
    t.name = std::string(256, 'x');
    CHECK_THROWS_AS(nft::table_new(t), InvalidArgument);
}
