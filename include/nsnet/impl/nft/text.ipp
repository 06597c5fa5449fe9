// nsnet/impl/nft/text.ipp — the function bodies of <nsnet/nft/text.hpp>.
//
// Included at the end of nsnet/nft/text.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nft {

namespace detail {

NSNET_LAZY inline std::uint32_t host_u32(const Data& d) {
    std::uint32_t v = 0;
    std::memcpy(&v, d.data(), std::min<std::size_t>(4, d.size()));
    return v;
}

NSNET_LAZY inline std::string hex32(std::uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

NSNET_LAZY inline std::uint16_t be16(const Data& d) {
    return d.size() >= 2 ? static_cast<std::uint16_t>((d[0] << 8) | d[1]) : 0;
}

NSNET_LAZY inline std::string ifname_text(const Data& d) {
    std::string s(reinterpret_cast<const char*>(d.data()), d.size());
    s.resize(std::strlen(s.c_str()));
    return "\"" + s + "\"";
}

NSNET_LAZY inline std::string proto_text(std::uint8_t p) {
    if (const char* name = ip_protocol_name(p)) return name;
    return std::to_string(p);
}

NSNET_LAZY inline std::string ct_state_text(std::uint32_t bits) {
    static const std::pair<std::uint32_t, const char*> names[] = {
        {1, "invalid"}, {2, "established"}, {4, "related"}, {8, "new"}, {64, "untracked"}};
    std::string s;
    for (auto [b, n] : names)
        if (bits & b) s += (s.empty() ? "" : ",") + std::string(n);
    return s.empty() ? hex32(bits) : s;
}

NSNET_LAZY inline std::string addr_text(const Data& d, bool v6, unsigned prefix_bits) {
    std::uint8_t full[16] = {};
    std::memcpy(full, d.data(), std::min<std::size_t>(d.size(), v6 ? 16 : 4));
    IpAddress a = *IpAddress::from_bytes(full, v6 ? 16 : 4);
    unsigned max = v6 ? 128 : 32;
    return prefix_bits == max ? a.to_string() : a.to_string() + "/" + std::to_string(prefix_bits);
}

NSNET_LAZY inline unsigned mask_bits(const Data& mask) {
    unsigned n = 0;
    for (std::uint8_t b : mask)
        for (int i = 7; i >= 0; --i)
            if (b & (1 << i)) ++n;
    return n;
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_text(const Rule& r, bool with_counters) {
    using namespace detail;
    std::string out;
    auto word = [&](const std::string& w) {
        if (!out.empty()) out += ' ';
        out += w;
    };
    const Exprs& e = r.exprs;
    std::optional<std::uint8_t> nfproto{};
    if (r.family == TableFamily::Ip) nfproto = NFPROTO_IPV4;
    if (r.family == TableFamily::Ip6) nfproto = NFPROTO_IPV6;
    std::optional<std::uint8_t> l4{};
    std::map<Reg, Data> regs;  // immediates loaded for a nat/masq/redir/set that follows
    auto cmp_at = [&](std::size_t i) -> const Cmp* { return i < e.size() ? std::get_if<Cmp>(&e[i]) : nullptr; };
    auto op_text = [](CmpOp op) { return op == CmpOp::Neq ? std::string("!= ") : std::string(); };
    for (std::size_t i = 0; i < e.size(); ++i) {
        const Expr& x = e[i];
        if (auto* m = std::get_if<Meta>(&x)) {
            const Cmp* c = cmp_at(i + 1);
            if (m->key == MetaKey::Nfproto && c && c->data.size() == 1) {
                nfproto = c->data[0];
                ++i;
                // Implicit when an ip/ip6 match follows (nft prints `ip saddr ...` alone).
                const Payload* p = i + 1 < e.size() ? std::get_if<Payload>(&e[i + 1]) : nullptr;
                if (!(p && p->base == PayloadBase::Network))
                    word(std::string("meta nfproto ") + (c->data[0] == NFPROTO_IPV4 ? "ipv4" : c->data[0] == NFPROTO_IPV6 ? "ipv6" : std::to_string(c->data[0])));
                continue;
            }
            if (m->key == MetaKey::L4proto && c && c->data.size() == 1) {
                l4 = c->data[0];
                ++i;
                const Payload* p = i + 1 < e.size() ? std::get_if<Payload>(&e[i + 1]) : nullptr;
                if (!(p && p->base == PayloadBase::Transport)) word("meta l4proto " + proto_text(*l4));
                continue;
            }
            if ((m->key == MetaKey::Iifname || m->key == MetaKey::Oifname) && c) {
                word(std::string(m->key == MetaKey::Iifname ? "iifname " : "oifname ") + op_text(c->op) + ifname_text(c->data));
                ++i;
                continue;
            }
            if (m->key == MetaKey::Mark) {
                // meta mark [& M] == V  |  meta mark set meta mark | V (load, bitwise, set)
                const Bitwise* b = i + 1 < e.size() ? std::get_if<Bitwise>(&e[i + 1]) : nullptr;
                const MetaSet* set = i + 2 < e.size() ? std::get_if<MetaSet>(&e[i + 2]) : nullptr;
                if (b && set) {
                    std::uint32_t keep = host_u32(b->mask), val = host_u32(b->xor_);
                    word(~keep == val ? "meta mark set meta mark | " + hex32(val)
                                      : "meta mark set meta mark & " + hex32(keep) + " ^ " + hex32(val));
                    i += 2;
                    continue;
                }
                if (b && cmp_at(i + 2)) {
                    const Cmp* c2 = cmp_at(i + 2);
                    word("meta mark & " + hex32(host_u32(b->mask)) + (c2->op == CmpOp::Neq ? " != " : " == ") +
                         hex32(host_u32(c2->data)));
                    i += 2;
                    continue;
                }
                if (c) {
                    word("meta mark " + op_text(c->op) + hex32(host_u32(c->data)));
                    ++i;
                    continue;
                }
            }
        }
        if (auto* p = std::get_if<Payload>(&x)) {
            const bool v6 = nfproto == NFPROTO_IPV6;
            if (p->base == PayloadBase::Network) {
                const Bitwise* b = i + 1 < e.size() ? std::get_if<Bitwise>(&e[i + 1]) : nullptr;
                const Cmp* c = b ? cmp_at(i + 2) : cmp_at(i + 1);
                const std::uint32_t src = v6 ? 8 : 12, dst = v6 ? 24 : 16;
                if (c && (p->offset == src || p->offset == dst)) {
                    unsigned bits = b ? mask_bits(b->mask) : p->len * 8;
                    word(std::string(v6 ? "ip6 " : "ip ") + (p->offset == src ? "saddr " : "daddr ") + op_text(c->op) +
                         addr_text(c->data, v6, bits));
                    i += b ? 2 : 1;
                    continue;
                }
            }
            if (p->base == PayloadBase::Transport && (p->offset == 0 || p->offset == 2) && p->len == 2) {
                const Cmp* c = cmp_at(i + 1);
                const Cmp* c2 = cmp_at(i + 2);
                std::string head = proto_text(l4.value_or(0)) + (p->offset == 0 ? " sport " : " dport ");
                if (c && c->op == CmpOp::Gte && c2 && c2->op == CmpOp::Lte) {
                    word(head + std::to_string(be16(c->data)) + "-" + std::to_string(be16(c2->data)));
                    i += 2;
                    continue;
                }
                if (c) {
                    word(head + op_text(c->op) + std::to_string(be16(c->data)));
                    ++i;
                    continue;
                }
            }
        }
        if (auto* f = std::get_if<Fib>(&x)) {
            const Cmp* c = cmp_at(i + 1);
            if (f->result == NFT_FIB_RESULT_ADDRTYPE && c) {
                std::uint32_t t = host_u32(c->data);
                word(std::string("fib ") + ((f->flags & NFTA_FIB_F_SADDR) ? "saddr" : "daddr") + " type " + op_text(c->op) +
                     (t == 2 ? "local" : t == 1 ? "unicast" : t == 3 ? "broadcast" : t == 5 ? "multicast" : std::to_string(t)));
                ++i;
                continue;
            }
        }
        if (auto* ct = std::get_if<Ct>(&x)) {
            const Bitwise* b = i + 1 < e.size() ? std::get_if<Bitwise>(&e[i + 1]) : nullptr;
            if (ct->key == CtKey::State && b && cmp_at(i + 2)) {
                word("ct state " + ct_state_text(host_u32(b->mask)));
                i += 2;
                continue;
            }
            if (ct->key == CtKey::Mark) {
                const CtSet* set = i + 2 < e.size() ? std::get_if<CtSet>(&e[i + 2]) : nullptr;
                if (b && set) {
                    word("ct mark set ct mark | " + hex32(host_u32(b->xor_)));
                    i += 2;
                    continue;
                }
                if (b && cmp_at(i + 2)) {
                    const Cmp* c2 = cmp_at(i + 2);
                    word("ct mark & " + hex32(host_u32(b->mask)) + (c2->op == CmpOp::Neq ? " != " : " == ") +
                         hex32(host_u32(c2->data)));
                    i += 2;
                    continue;
                }
                if (const Cmp* c = cmp_at(i + 1)) {
                    word("ct mark " + op_text(c->op) + hex32(host_u32(c->data)));
                    ++i;
                    continue;
                }
            }
        }
        if (auto* c = std::get_if<Counter>(&x)) {
            word(with_counters ? "counter packets " + std::to_string(c->packets) + " bytes " + std::to_string(c->bytes)
                               : std::string("counter"));
            continue;
        }
        if (auto* im = std::get_if<Immediate>(&x)) {
            if (im->verdict) {
                word(detail::verdict_name(*im->verdict) + (im->chain.empty() ? "" : " " + im->chain));
            } else {
                regs[im->dreg] = im->data;
            }
            continue;
        }
        if (auto* s = std::get_if<MetaSet>(&x); s && regs.count(s->sreg)) {
            word("meta mark set " + hex32(host_u32(regs[s->sreg])));
            continue;
        }
        if (auto* s = std::get_if<CtSet>(&x); s && regs.count(s->sreg)) {
            word("ct mark set " + hex32(host_u32(regs[s->sreg])));
            continue;
        }
        auto ports = [&](std::optional<Reg> lo, std::optional<Reg> hi) {
            std::string p;
            if (lo && regs.count(*lo)) p = ":" + std::to_string(be16(regs[*lo]));
            // The kernel reports proto_max as the same register when no range was given.
            if (hi && regs.count(*hi) && !(lo && *lo == *hi)) p += "-" + std::to_string(be16(regs[*hi]));
            return p;
        };
        if (auto* n = std::get_if<Nat>(&x)) {
            const bool v6 = n->family == NFPROTO_IPV6;
            std::string w = n->type == NatType::Snat ? "snat" : "dnat";
            if (r.family == TableFamily::Inet) w += v6 ? " ip6" : " ip";
            w += " to ";
            std::string a = n->reg_addr_min && regs.count(*n->reg_addr_min)
                                 ? addr_text(regs[*n->reg_addr_min], v6, v6 ? 128 : 32)
                                 : std::string();
            std::string p = ports(n->reg_proto_min, n->reg_proto_max);
            word(w + (v6 && !p.empty() ? "[" + a + "]" : a) + p);
            continue;
        }
        if (auto* m = std::get_if<Masq>(&x)) {
            std::string p = ports(m->reg_proto_min, m->reg_proto_max);
            word("masquerade" + (p.empty() ? std::string() : " to " + p));
            continue;
        }
        if (auto* m = std::get_if<Redir>(&x)) {
            std::string p = ports(m->reg_proto_min, m->reg_proto_max);
            word("redirect" + (p.empty() ? std::string() : " to " + p));
            continue;
        }
        word(to_debug_string(x));
    }
    if (r.comment) word("comment \"" + *r.comment + "\"");
    return out;
}

}  // namespace nsnet::nft
