// tests/fuzz/capture_seeds.cpp — records what the kernel answers, byte for byte, as seeds for the
// fuzz targets. Run by capture_seeds.sh inside a namespace it has filled with links, addresses,
// routes, rules, neighbours, fdb entries, nexthops and nf_tables rules; never run it elsewhere.
//
//   capture-seeds CORPUS_DIR
//
// It sends the dump requests nsnet sends (through nsnet's own nl::Socket) and writes what recvmsg
// returned into CORPUS_DIR/<target>/:
//   nl_message/   whole datagrams (a few per dump: several messages packed, NLMSG_DONE)
//   rtnl_decode/  one rtnetlink message per file (links, bridge ports, addresses, routes, rules,
//                 neighbours, fdb entries, nexthops)
//   nft_decode/   one nf_tables message per file (tables, chains, rules)
//   nl_attr/      the attribute bytes after the family header of some of those messages
//   nl_ack/       NLMSG_ERROR answers: plain acks, refusals with extended-ack text and offsets,
//                 an uncapped error that echoes the request, NLMSG_DONE
// Files are named <what>-<n>; existing files of the same name are overwritten.
#include "nsnet/ip.hpp"  // first: <net/if.h> before any <linux/if.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "nsnet/nft/batch.hpp"
#include "nsnet/nl/message.hpp"
#include "nsnet/nl/socket.hpp"
#include "nsnet/rtnl/addr.hpp"
#include "nsnet/rtnl/fdb.hpp"
#include "nsnet/rtnl/link.hpp"
#include "nsnet/rtnl/neigh.hpp"
#include "nsnet/rtnl/nexthop.hpp"
#include "nsnet/rtnl/route.hpp"
#include "nsnet/rtnl/rule.hpp"

using namespace nsnet;

namespace {

std::string out_dir;
std::map<std::string, int> written;  // files per (target, what), to keep the corpus modest

void save(const std::string& target, const std::string& what, nl::Bytes b, int limit) {
    int& n = written[target + "/" + what];
    if (n >= limit) return;
    std::string dir = out_dir + "/" + target;
    ::mkdir(dir.c_str(), 0755);
    std::ofstream f(dir + "/" + what + "-" + std::to_string(n++), std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// The family-header size of a message type (what nl_attr's seeds start after).
std::size_t header_size(std::uint16_t type) {
    if ((type >> 8) == NFNL_SUBSYS_NFTABLES) return sizeof(nfgenmsg);
    switch (type) {
        case RTM_NEWLINK: return sizeof(ifinfomsg);
        case RTM_NEWADDR: return sizeof(ifaddrmsg);
        case RTM_NEWROUTE: return sizeof(rtmsg);
        case RTM_NEWNEIGH: return sizeof(ndmsg);
        case RTM_NEWRULE: return sizeof(fib_rule_hdr);
        case RTM_NEWNEXTHOP: return sizeof(nhmsg);
        default: return 0;
    }
}

// Sends a dump request and saves its replies until NLMSG_DONE (or an error). `target` receives one
// file per message; nl_message the first datagrams whole.
void dump(nl::Socket& sock, nl::MessageBuilder msg, const std::string& what, const std::string& target) {
    msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_DUMP));
    std::uint32_t seq = sock.send(msg);
    int messages = 0;
    for (bool done = false; !done;) {
        nl::Bytes data = sock.receive();
        save("nl_message", what, data, 3);
        for (nl::MessageView m : nl::MessageRange(data)) {
            if (m.seq() != seq) continue;
            if (m.type() == NLMSG_DONE || m.type() == NLMSG_ERROR) {
                save("nl_ack", m.type() == NLMSG_DONE ? "done" : "dump-error", m.bytes(), 2);
                done = true;
                break;
            }
            ++messages;
            save(target, what, m.bytes(), 40);
            std::size_t h = nl::align(header_size(m.type()));
            if (h && m.payload().size() > h) save("nl_attr", what, m.payload().subspan(h), 4);
        }
    }
    std::printf("capture-seeds: %-12s %3d messages\n", what.c_str(), messages);
}

// Sends one request with NLM_F_ACK and saves the NLMSG_ERROR that answers it.
void ack(nl::Socket& sock, nl::MessageBuilder msg, const std::string& what) {
    msg.set_flags(static_cast<std::uint16_t>(msg.flags() | NLM_F_ACK));
    std::uint32_t seq = sock.send(msg);
    for (;;) {
        nl::Bytes data = sock.receive();
        for (nl::MessageView m : nl::MessageRange(data)) {
            if (m.seq() != seq || m.type() != NLMSG_ERROR) continue;
            save("nl_ack", what, data, 1);
            int err;
            std::memcpy(&err, m.payload().data(), sizeof err);
            std::printf("capture-seeds: ack %-20s errno %d\n", what.c_str(), -err);
            return;
        }
    }
}

void capture_rtnl() {
    nl::Socket sock = nl::Socket::open(NETLINK_ROUTE);
    dump(sock, rtnl::link_dump(), "link", "rtnl_decode");
    dump(sock, rtnl::link_dump(AF_BRIDGE), "link-bridge", "rtnl_decode");
    dump(sock, rtnl::address_dump(), "addr", "rtnl_decode");
    dump(sock, rtnl::route_dump(AF_INET), "route4", "rtnl_decode");
    dump(sock, rtnl::route_dump(AF_INET6), "route6", "rtnl_decode");
    dump(sock, rtnl::rule_dump(), "rule", "rtnl_decode");
    dump(sock, rtnl::neighbor_dump(), "neigh", "rtnl_decode");
    dump(sock, rtnl::neighbor_dump(AF_UNSPEC, 0, true), "neigh-proxy", "rtnl_decode");
    dump(sock, rtnl::fdb_dump(), "fdb", "rtnl_decode");
    dump(sock, rtnl::nexthop_dump(), "nexthop", "rtnl_decode");

    // Answers: a plain ack, and refusals with and without extended-ack text.
    {
        nl::MessageBuilder m(RTM_NEWLINK, 0);  // ip link set lo up
        ifinfomsg ifi{};
        ifi.ifi_index = 1;
        ifi.ifi_flags = ifi.ifi_change = IFF_UP;
        m.put_header(ifi);
        ack(sock, std::move(m), "ack-ok");
    }
    ack(sock, rtnl::link_del(999999), "ack-enodev");
    {
        rtnl::LinkCreate c{};
        c.name = "fz0";
        c.kind = "no-such-kind";
        ack(sock, rtnl::link_new(c), "ack-unknown-kind");  // "Unknown device type"
    }
    {
        nl::MessageBuilder m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);  // IPv4 /40: refused with a message
        rtmsg r{};
        r.rtm_family = AF_INET;
        r.rtm_dst_len = 40;
        r.rtm_table = RT_TABLE_MAIN;
        r.rtm_type = RTN_UNICAST;
        m.put_header(r);
        m.put_ip(RTA_DST, IpAddress::parse("10.9.9.0"));
        m.put_u32(RTA_OIF, 1);
        ack(sock, std::move(m), "ack-bad-prefix");
    }
    {
        nl::MessageBuilder m(RTM_NEWLINK, 0);  // IFLA_MTU of 2 bytes: a policy violation with an offset
        ifinfomsg ifi{};
        ifi.ifi_index = 1;
        m.put_header(ifi);
        m.put_u16(IFLA_MTU, 1500);
        ack(sock, std::move(m), "ack-policy");
    }
    // The same refusal on a socket without NETLINK_CAP_ACK: the kernel echoes the whole request.
    sock.set_option(SOL_NETLINK, NETLINK_CAP_ACK, 0, "NETLINK_CAP_ACK");
    {
        rtnl::LinkCreate c{};
        c.name = "fz1";
        c.kind = "no-such-kind";
        ack(sock, rtnl::link_new(c), "ack-uncapped");
    }
}

void capture_nft() {
    nl::Socket sock = nl::Socket::open(NETLINK_NETFILTER);
    const auto any = static_cast<nft::TableFamily>(NFPROTO_UNSPEC);
    dump(sock, nft::make_message(NFT_MSG_GETTABLE, 0, any), "nft-table", "nft_decode");
    dump(sock, nft::make_message(NFT_MSG_GETCHAIN, 0, any), "nft-chain", "nft_decode");
    dump(sock, nft::make_message(NFT_MSG_GETRULE, 0, any), "nft-rule", "nft_decode");
    {
        nl::MessageBuilder m = nft::make_message(NFT_MSG_GETTABLE, 0, nft::TableFamily::Ip);
        m.put_string(NFTA_TABLE_NAME, "no-such-table");
        ack(sock, std::move(m), "ack-nft-enoent");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR (run by capture_seeds.sh inside its namespace)\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    try {
        capture_rtnl();
        capture_nft();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "capture-seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}
