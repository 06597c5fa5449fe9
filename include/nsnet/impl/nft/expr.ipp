// nsnet/impl/nft/expr.ipp — the function bodies of <nsnet/nft/expr.hpp>.
//
// Included at the end of nsnet/nft/expr.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

#include "nsnet/detail/std_algorithm.hpp"

namespace nsnet::nft {

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL void put_data(nl::MessageBuilder& m, std::uint16_t type, const Data& d) {
    auto n = m.nest(type);
    m.put(NFTA_DATA_VALUE, d.data(), d.size());
}

NSNET_LAZY_DEFINITION NSNET_DECL Data get_data(const nl::Attr& a) {
    for (nl::Attr d : a.nested())
        if (d.type() == NFTA_DATA_VALUE) {
            auto p = reinterpret_cast<const std::uint8_t*>(d.payload().data());
            return Data(p, p + d.size());
        }
    return {};
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Verdict> get_verdict(const nl::Attr& a) {
    for (nl::Attr d : a.nested())
        if (d.type() == NFTA_DATA_VERDICT)
            for (nl::Attr v : d.nested())
                if (v.type() == NFTA_VERDICT_CODE) return static_cast<Verdict>(static_cast<std::int32_t>(v.be32()));
    return std::nullopt;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string get_verdict_chain(const nl::Attr& a) {
    for (nl::Attr d : a.nested())
        if (d.type() == NFTA_DATA_VERDICT)
            for (nl::Attr v : d.nested())
                if (v.type() == NFTA_VERDICT_CHAIN) return std::string(v.str());
    return {};
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string_view expr_name(const Expr& e) {
    if (std::holds_alternative<Payload>(e)) return "payload";
    if (std::holds_alternative<Meta>(e) || std::holds_alternative<MetaSet>(e)) return "meta";
    if (std::holds_alternative<Cmp>(e)) return "cmp";
    if (std::holds_alternative<Bitwise>(e)) return "bitwise";
    if (std::holds_alternative<Immediate>(e)) return "immediate";
    if (std::holds_alternative<Nat>(e)) return "nat";
    if (std::holds_alternative<Masq>(e)) return "masq";
    if (std::holds_alternative<Counter>(e)) return "counter";
    if (std::holds_alternative<Ct>(e) || std::holds_alternative<CtSet>(e)) return "ct";
    if (std::holds_alternative<Fib>(e)) return "fib";
    if (std::holds_alternative<Redir>(e)) return "redir";
    return std::get<Other>(e).name;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string data_words(const Data& d) {
    std::string s{};
    for (std::size_t i = 0; i < d.size(); i += 4) {
        std::uint32_t w = 0;
        std::memcpy(&w, d.data() + i, std::min<std::size_t>(4, d.size() - i));
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%08x", w);
        if (!s.empty()) s += ' ';
        s += buf;
    }
    return s;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string verdict_name(Verdict v) {
    switch (v) {
        case Verdict::Drop: return "drop";
        case Verdict::Accept: return "accept";
        case Verdict::Continue: return "continue";
        case Verdict::Return: return "return";
        case Verdict::Jump: return "jump";
        case Verdict::Goto: return "goto";
    }
    return "verdict " + std::to_string(static_cast<std::int32_t>(v));
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL void encode_expr(nl::MessageBuilder& m, const Expr& e) {
    auto elem = m.nest(NFTA_LIST_ELEM);
    m.put_string(NFTA_EXPR_NAME, detail::expr_name(e));
    if (auto* o = std::get_if<Other>(&e)) {
        // Re-emit the raw data nest exactly as it was read.
        std::vector<std::byte> raw = o->data;
        m.put(static_cast<std::uint16_t>(NFTA_EXPR_DATA | NLA_F_NESTED), raw.data(), raw.size());
        return;
    }
    auto data = m.nest(NFTA_EXPR_DATA);
    if (const auto* payload = std::get_if<Payload>(&e)) {
        m.put_be32(NFTA_PAYLOAD_DREG, payload->dreg);
        m.put_be32(NFTA_PAYLOAD_BASE, static_cast<std::uint32_t>(payload->base));
        m.put_be32(NFTA_PAYLOAD_OFFSET, payload->offset);
        m.put_be32(NFTA_PAYLOAD_LEN, payload->len);
    } else if (const auto* meta = std::get_if<Meta>(&e)) {
        m.put_be32(NFTA_META_KEY, static_cast<std::uint32_t>(meta->key));
        m.put_be32(NFTA_META_DREG, meta->dreg);
    } else if (const auto* cmp = std::get_if<Cmp>(&e)) {
        m.put_be32(NFTA_CMP_SREG, cmp->sreg);
        m.put_be32(NFTA_CMP_OP, static_cast<std::uint32_t>(cmp->op));
        detail::put_data(m, NFTA_CMP_DATA, cmp->data);
    } else if (const auto* bitwise = std::get_if<Bitwise>(&e)) {
        m.put_be32(NFTA_BITWISE_SREG, bitwise->sreg);
        m.put_be32(NFTA_BITWISE_DREG, bitwise->dreg);
        if (bitwise->op) m.put_be32(NFTA_BITWISE_OP, *bitwise->op);
        m.put_be32(NFTA_BITWISE_LEN, bitwise->len);
        detail::put_data(m, NFTA_BITWISE_MASK, bitwise->mask);
        detail::put_data(m, NFTA_BITWISE_XOR, bitwise->xor_);
    } else if (const auto* imm = std::get_if<Immediate>(&e)) {
        m.put_be32(NFTA_IMMEDIATE_DREG, imm->dreg);
        auto d = m.nest(NFTA_IMMEDIATE_DATA);
        if (imm->verdict) {
            auto v = m.nest(NFTA_DATA_VERDICT);
            m.put_be32(NFTA_VERDICT_CODE, static_cast<std::uint32_t>(static_cast<std::int32_t>(*imm->verdict)));
            if (!imm->chain.empty()) m.put_string(NFTA_VERDICT_CHAIN, imm->chain);
        } else {
            m.put(NFTA_DATA_VALUE, imm->data.data(), imm->data.size());
        }
    } else if (const auto* nat = std::get_if<Nat>(&e)) {
        m.put_be32(NFTA_NAT_TYPE, static_cast<std::uint32_t>(nat->type));
        m.put_be32(NFTA_NAT_FAMILY, nat->family);
        if (nat->reg_addr_min) m.put_be32(NFTA_NAT_REG_ADDR_MIN, *nat->reg_addr_min);
        if (nat->reg_addr_max) m.put_be32(NFTA_NAT_REG_ADDR_MAX, *nat->reg_addr_max);
        if (nat->reg_proto_min) m.put_be32(NFTA_NAT_REG_PROTO_MIN, *nat->reg_proto_min);
        if (nat->reg_proto_max) m.put_be32(NFTA_NAT_REG_PROTO_MAX, *nat->reg_proto_max);
        if (nat->flags) m.put_be32(NFTA_NAT_FLAGS, nat->flags);
    } else if (const auto* masq = std::get_if<Masq>(&e)) {
        if (masq->flags) m.put_be32(NFTA_MASQ_FLAGS, masq->flags);
        if (masq->reg_proto_min) m.put_be32(NFTA_MASQ_REG_PROTO_MIN, *masq->reg_proto_min);
        if (masq->reg_proto_max) m.put_be32(NFTA_MASQ_REG_PROTO_MAX, *masq->reg_proto_max);
    } else if (const auto* meta_set = std::get_if<MetaSet>(&e)) {
        m.put_be32(NFTA_META_KEY, static_cast<std::uint32_t>(meta_set->key));
        m.put_be32(NFTA_META_SREG, meta_set->sreg);
    } else if (const auto* ct = std::get_if<Ct>(&e)) {
        m.put_be32(NFTA_CT_KEY, static_cast<std::uint32_t>(ct->key));
        m.put_be32(NFTA_CT_DREG, ct->dreg);
    } else if (const auto* ct_set = std::get_if<CtSet>(&e)) {
        m.put_be32(NFTA_CT_KEY, static_cast<std::uint32_t>(ct_set->key));
        m.put_be32(NFTA_CT_SREG, ct_set->sreg);
    } else if (const auto* fib = std::get_if<Fib>(&e)) {
        m.put_be32(NFTA_FIB_FLAGS, fib->flags);
        m.put_be32(NFTA_FIB_RESULT, fib->result);
        m.put_be32(NFTA_FIB_DREG, fib->dreg);
    } else if (const auto* redir = std::get_if<Redir>(&e)) {
        if (redir->reg_proto_min) m.put_be32(NFTA_REDIR_REG_PROTO_MIN, *redir->reg_proto_min);
        if (redir->reg_proto_max) m.put_be32(NFTA_REDIR_REG_PROTO_MAX, *redir->reg_proto_max);
        if (redir->flags) m.put_be32(NFTA_REDIR_FLAGS, redir->flags);
    } else if (const auto* counter = std::get_if<Counter>(&e)) {
        // nft sends a new counter empty; non-zero values are sent (the kernel accepts them).
        if (counter->packets || counter->bytes) {
            m.put(NFTA_COUNTER_BYTES, __builtin_bswap64(counter->bytes));
            m.put(NFTA_COUNTER_PACKETS, __builtin_bswap64(counter->packets));
        }
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void encode_exprs(nl::MessageBuilder& m, const Exprs& exprs) {
    auto list = m.nest(NFTA_RULE_EXPRESSIONS);
    for (const Expr& e : exprs) encode_expr(m, e);
}

NSNET_LAZY_DEFINITION NSNET_DECL Expr decode_expr(const nl::Attr& elem) {
    std::string name{};
    std::optional<nl::Attr> data{};
    for (nl::Attr a : elem.nested()) {
        if (a.type() == NFTA_EXPR_NAME) name = std::string(a.str());
        else if (a.type() == NFTA_EXPR_DATA) data = a;
    }
    nl::AttrRange attrs = data ? data->nested() : nl::AttrRange{};
    auto reg = [](const nl::Attr& a) { return a.be32(); };
    if (name == "payload") {
        Payload p;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_PAYLOAD_DREG: p.dreg = reg(a); break;
                case NFTA_PAYLOAD_BASE: p.base = static_cast<PayloadBase>(a.be32()); break;
                case NFTA_PAYLOAD_OFFSET: p.offset = a.be32(); break;
                case NFTA_PAYLOAD_LEN: p.len = a.be32(); break;
                default: break;
            }
        return p;
    }
    if (name == "meta") {
        Meta x;
        std::optional<Reg> sreg{};
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_META_KEY: x.key = static_cast<MetaKey>(a.be32()); break;
                case NFTA_META_DREG: x.dreg = reg(a); break;
                case NFTA_META_SREG: sreg = reg(a); break;
                default: break;
            }
        if (sreg) return MetaSet{x.key, *sreg};
        return x;
    }
    if (name == "ct") {
        Ct x;
        std::optional<Reg> sreg{};
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_CT_KEY: x.key = static_cast<CtKey>(a.be32()); break;
                case NFTA_CT_DREG: x.dreg = reg(a); break;
                case NFTA_CT_SREG: sreg = reg(a); break;
                default: break;
            }
        if (sreg) return CtSet{x.key, *sreg};
        return x;
    }
    if (name == "fib") {
        Fib x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_FIB_DREG: x.dreg = reg(a); break;
                case NFTA_FIB_RESULT: x.result = a.be32(); break;
                case NFTA_FIB_FLAGS: x.flags = a.be32(); break;
                default: break;
            }
        return x;
    }
    if (name == "redir") {
        Redir x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_REDIR_REG_PROTO_MIN: x.reg_proto_min = reg(a); break;
                case NFTA_REDIR_REG_PROTO_MAX: x.reg_proto_max = reg(a); break;
                case NFTA_REDIR_FLAGS: x.flags = a.be32(); break;
                default: break;
            }
        return x;
    }
    if (name == "cmp") {
        Cmp x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_CMP_SREG: x.sreg = reg(a); break;
                case NFTA_CMP_OP: x.op = static_cast<CmpOp>(a.be32()); break;
                case NFTA_CMP_DATA: x.data = detail::get_data(a); break;
                default: break;
            }
        return x;
    }
    if (name == "bitwise") {
        Bitwise x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_BITWISE_SREG: x.sreg = reg(a); break;
                case NFTA_BITWISE_DREG: x.dreg = reg(a); break;
                case NFTA_BITWISE_LEN: x.len = a.be32(); break;
                case NFTA_BITWISE_OP: x.op = a.be32(); break;
                case NFTA_BITWISE_MASK: x.mask = detail::get_data(a); break;
                case NFTA_BITWISE_XOR: x.xor_ = detail::get_data(a); break;
                default: break;
            }
        return x;
    }
    if (name == "immediate") {
        Immediate x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_IMMEDIATE_DREG: x.dreg = reg(a); break;
                case NFTA_IMMEDIATE_DATA:
                    x.verdict = detail::get_verdict(a);
                    if (!x.verdict) x.data = detail::get_data(a);
                    else x.chain = detail::get_verdict_chain(a);
                    break;
                default: break;
            }
        return x;
    }
    if (name == "nat") {
        Nat x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_NAT_TYPE: x.type = static_cast<NatType>(a.be32()); break;
                case NFTA_NAT_FAMILY: x.family = a.be32(); break;
                case NFTA_NAT_REG_ADDR_MIN: x.reg_addr_min = reg(a); break;
                case NFTA_NAT_REG_ADDR_MAX: x.reg_addr_max = reg(a); break;
                case NFTA_NAT_REG_PROTO_MIN: x.reg_proto_min = reg(a); break;
                case NFTA_NAT_REG_PROTO_MAX: x.reg_proto_max = reg(a); break;
                case NFTA_NAT_FLAGS: x.flags = a.be32(); break;
                default: break;
            }
        return x;
    }
    if (name == "masq") {
        Masq x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_MASQ_FLAGS: x.flags = a.be32(); break;
                case NFTA_MASQ_REG_PROTO_MIN: x.reg_proto_min = reg(a); break;
                case NFTA_MASQ_REG_PROTO_MAX: x.reg_proto_max = reg(a); break;
                default: break;
            }
        return x;
    }
    if (name == "counter") {
        Counter x;
        for (nl::Attr a : attrs) switch (a.type()) {
                case NFTA_COUNTER_BYTES: x.bytes = __builtin_bswap64(a.u64()); break;
                case NFTA_COUNTER_PACKETS: x.packets = __builtin_bswap64(a.u64()); break;
                default: break;
            }
        return x;
    }
    if (name.empty()) nl::malformed("nf_tables expression without a name");
    Other o;
    o.name = name;
    if (data) o.data.assign(data->payload().begin(), data->payload().end());
    return o;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs decode_exprs(const nl::Attr& list) {
    Exprs out{};
    for (nl::Attr elem : list.nested())
        if (elem.type() == NFTA_LIST_ELEM) out.push_back(decode_expr(elem));
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::string to_debug_string(const Expr& e) {
    auto base_name = [](PayloadBase b) -> std::string {
        switch (b) {
            case PayloadBase::Link: return "link";
            case PayloadBase::Network: return "network";
            case PayloadBase::Transport: return "transport";
        }
        return "base " + std::to_string(static_cast<std::uint32_t>(b));
    };
    auto meta_name = [](MetaKey k) -> std::string {
        switch (k) {
            case MetaKey::Len: return "len";
            case MetaKey::Protocol: return "protocol";
            case MetaKey::Mark: return "mark";
            case MetaKey::Iif: return "iif";
            case MetaKey::Oif: return "oif";
            case MetaKey::Iifname: return "iifname";
            case MetaKey::Oifname: return "oifname";
            case MetaKey::Nfproto: return "nfproto";
            case MetaKey::L4proto: return "l4proto";
        }
        return "key " + std::to_string(static_cast<std::uint32_t>(k));
    };
    auto ct_name = [](CtKey k) -> std::string {
        switch (k) {
            case CtKey::State: return "state";
            case CtKey::Mark: return "mark";
            case CtKey::Status: return "status";
        }
        return "key " + std::to_string(static_cast<std::uint32_t>(k));
    };
    auto op_name = [](CmpOp o) -> std::string {
        static const char* names[] = {"eq", "neq", "lt", "lte", "gt", "gte"};
        auto i = static_cast<std::uint32_t>(o);
        return i < 6 ? names[i] : "op " + std::to_string(i);
    };
    auto hex = [](std::uint32_t v) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%x", v);
        return std::string(buf);
    };
    std::string s = "[ ";
    if (const auto* payload = std::get_if<Payload>(&e)) {
        s += "payload load " + std::to_string(payload->len) + "b @ " + base_name(payload->base) + " header + " +
             std::to_string(payload->offset) + " => reg " + std::to_string(payload->dreg);
    } else if (const auto* meta = std::get_if<Meta>(&e)) {
        s += "meta load " + meta_name(meta->key) + " => reg " + std::to_string(meta->dreg);
    } else if (const auto* cmp = std::get_if<Cmp>(&e)) {
        s += "cmp " + op_name(cmp->op) + " reg " + std::to_string(cmp->sreg) + " " + detail::data_words(cmp->data);
    } else if (const auto* bitwise = std::get_if<Bitwise>(&e)) {
        s += "bitwise reg " + std::to_string(bitwise->dreg) + " = ( reg " + std::to_string(bitwise->sreg) + " & " +
             detail::data_words(bitwise->mask) + " ) ^ " + detail::data_words(bitwise->xor_);
    } else if (const auto* imm = std::get_if<Immediate>(&e)) {
        s += "immediate reg " + std::to_string(imm->dreg) + " " +
             (imm->verdict ? detail::verdict_name(*imm->verdict) : detail::data_words(imm->data));
        if (imm->verdict && !imm->chain.empty()) s += " -> " + imm->chain;
    } else if (const auto* nat = std::get_if<Nat>(&e)) {
        s += std::string("nat ") + (nat->type == NatType::Snat ? "snat" : "dnat") + " " +
             (nat->family == NFPROTO_IPV4 ? "ip" : nat->family == NFPROTO_IPV6 ? "ip6" : "family " + std::to_string(nat->family));
        if (nat->reg_addr_min) s += " addr_min reg " + std::to_string(*nat->reg_addr_min);
        if (nat->reg_addr_max) s += " addr_max reg " + std::to_string(*nat->reg_addr_max);
        if (nat->reg_proto_min) s += " proto_min reg " + std::to_string(*nat->reg_proto_min);
        if (nat->reg_proto_max) s += " proto_max reg " + std::to_string(*nat->reg_proto_max);
        if (nat->flags) s += " flags " + hex(nat->flags);
    } else if (const auto* masq = std::get_if<Masq>(&e)) {
        s += "masq";
        if (masq->reg_proto_min) s += " proto_min reg " + std::to_string(*masq->reg_proto_min);
        if (masq->reg_proto_max) s += " proto_max reg " + std::to_string(*masq->reg_proto_max);
        if (masq->flags) s += " flags " + hex(masq->flags);
    } else if (const auto* redir = std::get_if<Redir>(&e)) {
        s += "redir";
        if (redir->reg_proto_min) s += " proto_min reg " + std::to_string(*redir->reg_proto_min);
        if (redir->reg_proto_max) s += " proto_max reg " + std::to_string(*redir->reg_proto_max);
        if (redir->flags) s += " flags " + hex(redir->flags);
    } else if (const auto* meta_set = std::get_if<MetaSet>(&e)) {
        s += "meta set " + meta_name(meta_set->key) + " with reg " + std::to_string(meta_set->sreg);
    } else if (const auto* ct = std::get_if<Ct>(&e)) {
        s += "ct load " + ct_name(ct->key) + " => reg " + std::to_string(ct->dreg);
    } else if (const auto* ct_set = std::get_if<CtSet>(&e)) {
        s += "ct set " + ct_name(ct_set->key) + " with reg " + std::to_string(ct_set->sreg);
    } else if (const auto* fib = std::get_if<Fib>(&e)) {
        s += std::string("fib ") + ((fib->flags & NFTA_FIB_F_SADDR) ? "saddr" : "daddr") +
             (fib->result == NFT_FIB_RESULT_ADDRTYPE ? " type" : fib->result == NFT_FIB_RESULT_OIF ? " oif" : " result " + std::to_string(fib->result)) +
             " => reg " + std::to_string(fib->dreg);
    } else if (const auto* counter = std::get_if<Counter>(&e)) {
        s += "counter pkts " + std::to_string(counter->packets) + " bytes " + std::to_string(counter->bytes);
    } else if (const auto* other = std::get_if<Other>(&e)) {
        s += other->name;
    }
    return s + " ]";
}

namespace detail {

NSNET_LAZY_DEFINITION NSNET_DECL Data bytes_of(const void* p, std::size_t n) {
    auto b = static_cast<const std::uint8_t*>(p);
    return Data(b, b + n);
}

NSNET_LAZY_DEFINITION NSNET_DECL Data be16_data(std::uint16_t v) {
    std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    return Data(b, b + 2);
}

NSNET_LAZY_DEFINITION NSNET_DECL void append(Exprs& to, Exprs more) {
    for (Expr& e : more) to.push_back(std::move(e));
}

}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_address(bool source, const Prefix& prefix) {
    const bool v4 = prefix.address().is_v4();
    const std::uint32_t full = v4 ? 4 : 16;
    const std::uint32_t offset = v4 ? (source ? 12 : 16) : (source ? 8 : 24);
    const unsigned bits = prefix.length();
    if (bits == 0) return {};
    Prefix net = prefix.network();
    const std::uint8_t* a = net.address().data();
    if (bits % 8 == 0) {
        std::uint32_t n = bits / 8;
        return {Payload{PayloadBase::Network, offset, n, reg1}, Cmp{reg1, CmpOp::Eq, detail::bytes_of(a, n)}};
    }
    Data mask(full, 0);
    for (unsigned i = 0; i < bits; ++i) mask[i / 8] = static_cast<std::uint8_t>(mask[i / 8] | (0x80 >> (i % 8)));
    return {Payload{PayloadBase::Network, offset, full, reg1}, Bitwise{reg1, reg1, full, mask, Data(full, 0)},
            Cmp{reg1, CmpOp::Eq, detail::bytes_of(a, full)}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_saddr(const Prefix& p) { return match_address(true, p); }
NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_daddr(const Prefix& p) { return match_address(false, p); }

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_ifname(bool input, std::string_view name, bool negate) {
    validate_interface_name(name, input ? "match iifname" : "match oifname");
    Data d(IFNAMSIZ, 0);
    std::memcpy(d.data(), name.data(), name.size());
    return {Meta{input ? MetaKey::Iifname : MetaKey::Oifname, reg1}, Cmp{reg1, negate ? CmpOp::Neq : CmpOp::Eq, d}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_iifname(std::string_view name, bool negate) { return match_ifname(true, name, negate); }
NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_oifname(std::string_view name, bool negate) { return match_ifname(false, name, negate); }

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_l4proto(std::uint8_t proto) {
    return {Meta{MetaKey::L4proto, reg1}, Cmp{reg1, CmpOp::Eq, Data{proto}}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_dport(std::uint8_t proto, std::uint16_t port) {
    Exprs e = match_l4proto(proto);
    e.push_back(Payload{PayloadBase::Transport, 2, 2, reg1});
    e.push_back(Cmp{reg1, CmpOp::Eq, detail::be16_data(port)});
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_sport(std::uint8_t proto, std::uint16_t port) {
    Exprs e = match_l4proto(proto);
    e.push_back(Payload{PayloadBase::Transport, 0, 2, reg1});
    e.push_back(Cmp{reg1, CmpOp::Eq, detail::be16_data(port)});
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Expr counter() { return Counter{}; }

NSNET_LAZY_DEFINITION NSNET_DECL Expr verdict(Verdict v) { return Immediate{reg_verdict, {}, v}; }

NSNET_LAZY_DEFINITION NSNET_DECL Exprs masquerade() { return {Masq{}}; }

NSNET_LAZY_DEFINITION NSNET_DECL Exprs nat_to(NatType type, const IpAddress& addr, std::optional<std::uint16_t> port) {
    Exprs e{};
    e.push_back(Immediate{reg1, detail::bytes_of(addr.data(), addr.size()), std::nullopt});
    Nat n;
    n.type = type;
    n.family = addr.is_v4() ? NFPROTO_IPV4 : NFPROTO_IPV6;
    n.reg_addr_min = reg1;
    if (port) {
        e.push_back(Immediate{reg2, detail::be16_data(*port), std::nullopt});
        n.reg_proto_min = reg2;
        n.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    e.push_back(n);
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs snat_to(const IpAddress& addr, std::optional<std::uint16_t> port) {
    return nat_to(NatType::Snat, addr, port);
}
NSNET_LAZY_DEFINITION NSNET_DECL Exprs dnat_to(const IpAddress& addr, std::optional<std::uint16_t> port) {
    return nat_to(NatType::Dnat, addr, port);
}

NSNET_LAZY_DEFINITION NSNET_DECL std::optional<Counter> find_counter(const Exprs& exprs) {
    for (const Expr& e : exprs)
        if (auto* c = std::get_if<Counter>(&e)) return *c;
    return std::nullopt;
}

namespace detail {
NSNET_LAZY inline Data u32_host(std::uint32_t v) { return bytes_of(&v, sizeof v); }
}  // namespace detail

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_nfproto(std::uint8_t nfproto) {
    return {Meta{MetaKey::Nfproto, reg1}, Cmp{reg1, CmpOp::Eq, Data{nfproto}}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_address(bool source, const Prefix& prefix, bool negate) {
    Exprs e = match_address(source, prefix);
    if (negate && !e.empty()) std::get<Cmp>(e.back()).op = CmpOp::Neq;
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_port_range(std::uint8_t proto, bool destination, std::uint16_t first, std::uint16_t last) {
    Exprs e = match_l4proto(proto);
    e.push_back(Payload{PayloadBase::Transport, destination ? 2u : 0u, 2, reg1});
    if (first == last) {
        e.push_back(Cmp{reg1, CmpOp::Eq, detail::be16_data(first)});
    } else {
        e.push_back(Cmp{reg1, CmpOp::Gte, detail::be16_data(first)});
        e.push_back(Cmp{reg1, CmpOp::Lte, detail::be16_data(last)});
    }
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_fib_daddr_local() {
    return {Fib{NFTA_FIB_F_DADDR, NFT_FIB_RESULT_ADDRTYPE, reg1}, Cmp{reg1, CmpOp::Eq, detail::u32_host(2 /* RTN_LOCAL */)}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_ct_state(std::uint32_t state_bits) {
    return {Ct{CtKey::State, reg1}, Bitwise{reg1, reg1, 4, detail::u32_host(state_bits), detail::u32_host(0)},
            Cmp{reg1, CmpOp::Neq, detail::u32_host(0)}};
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs match_mark(bool ct, std::uint32_t value, std::uint32_t mask, bool negate) {
    Exprs e{};
    if (ct) e.push_back(Ct{CtKey::Mark, reg1});
    else e.push_back(Meta{MetaKey::Mark, reg1});
    if (mask != 0xffffffffU)
        e.push_back(Bitwise{reg1, reg1, 4, detail::u32_host(mask), detail::u32_host(0), NFT_BITWISE_BOOL});
    e.push_back(Cmp{reg1, negate ? CmpOp::Neq : CmpOp::Eq, detail::u32_host(value & mask)});
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs set_mark(bool ct, std::uint32_t value, std::uint32_t mask) {
    Exprs e{};
    if (mask == 0xffffffffU) {
        e.push_back(Immediate{reg1, detail::u32_host(value), std::nullopt, {}});
    } else {
        if (ct) e.push_back(Ct{CtKey::Mark, reg1});
        else e.push_back(Meta{MetaKey::Mark, reg1});
        e.push_back(Bitwise{reg1, reg1, 4, detail::u32_host(~mask), detail::u32_host(value), NFT_BITWISE_BOOL});
    }
    if (ct) e.push_back(CtSet{CtKey::Mark, reg1});
    else e.push_back(MetaSet{MetaKey::Mark, reg1});
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs nat_to_range(NatType type, const IpAddress& addr, std::optional<std::uint16_t> port_min,
                              std::optional<std::uint16_t> port_max) {
    if (!port_max || (port_min && *port_max == *port_min)) return nat_to(type, addr, port_min);
    Exprs e = nat_to(type, addr, port_min);
    Nat n = std::get<Nat>(e.back());
    e.pop_back();
    e.push_back(Immediate{reg3, detail::be16_data(*port_max), std::nullopt, {}});
    n.reg_proto_max = reg3;
    e.push_back(n);
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs masquerade_to(std::optional<std::uint16_t> port_min, std::optional<std::uint16_t> port_max) {
    if (!port_min) return masquerade();
    Masq m;
    Exprs e{};
    e.push_back(Immediate{reg1, detail::be16_data(*port_min), std::nullopt, {}});
    m.reg_proto_min = reg1;
    if (port_max && *port_max != *port_min) {
        e.push_back(Immediate{reg2, detail::be16_data(*port_max), std::nullopt, {}});
        m.reg_proto_max = reg2;
    }
    m.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
    e.push_back(m);
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Exprs redirect_to(std::optional<std::uint16_t> port_min, std::optional<std::uint16_t> port_max) {
    Redir r;
    Exprs e{};
    if (port_min) {
        e.push_back(Immediate{reg1, detail::be16_data(*port_min), std::nullopt, {}});
        r.reg_proto_min = reg1;
        if (port_max && *port_max != *port_min) {
            e.push_back(Immediate{reg2, detail::be16_data(*port_max), std::nullopt, {}});
            r.reg_proto_max = reg2;
        }
        r.flags = NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    e.push_back(r);
    return e;
}

NSNET_LAZY_DEFINITION NSNET_DECL Expr jump(const std::string& chain, bool go_to) {
    if (chain.empty() || chain.size() >= NFT_NAME_MAXLEN || chain.find('\0') != std::string::npos)
        invalid_argument(go_to ? "goto" : "jump", chain, "chain name '" + chain + "' is empty, has a NUL or is too long");
    return Immediate{reg_verdict, {}, go_to ? Verdict::Goto : Verdict::Jump, chain};
}

}  // namespace nsnet::nft
