// Fault-injection walks (root): a multi-step setup is run once to count the system calls it makes
// through nsnet's seam (detail/sys.hpp: socket, bind, setsockopt, sendmsg, recvmsg, setns, unshare,
// mount, open ...), then again and again with the k-th call failing, for every k:
//   EINTR                      must be retried: the setup succeeds (and is then torn down);
//   ENOBUFS, EAGAIN, ENOMEM    the setup fails with an nsnet::Error carrying that errno;
//   a truncated reply,         (on receives only) it fails with EBADMSG;
//   a malformed reply
// (an nf_tables batch that notices a missing answer instead reports EPROTO, see below)
// and after a failure NOTHING may be left: no namespace or /run/netns mount of the walk, no link,
// address, route or sysctl change in the namespace that survives the setup, no link in the test's
// own namespace. The FaultInjector is process-global, so these tests must not run concurrently
// with others (the integration binary runs its cases one after another).
//
// The setups:
//  - a Transaction of a namespace, a VethPair between it and a long-lived "host" namespace,
//    addresses on both ends and on the host's lo, routes in both namespaces (one a blackhole that
//    would outlive the veth), and ip_forward in the host: every fault kind at every call;
//  - the docker-bridge lab's setup (examples/labs/docker_bridge.hpp: six namespaces, bridges,
//    five veth pairs, addresses, routes, sysctls, the forward policy, masquerade and a DNAT batch),
//    run through the lab's Context as `labs` runs it: at every call one fault kind, rotating;
//    NSNET_FAULT_WALK=full tries every kind at every call (a long run);
//  - every nftables step on its own, in a long-lived namespace (so nothing a failure leaves can
//    hide inside a namespace that is deleted with it): Masquerade, Snat, Dnat, FilterRule (options
//    and raw), ForwardPolicy, a firewall::Batch of all of them, a firewall::Batch that removes one rule and adds
//    another, a rule's removal, and a Transaction whose steps are a veth pair and nftables rules.
//    Every kind of fault at every call: lost answers (recvmsg failing), truncated and garbled
//    answers, failed sendmsg. After each run the namespace must hold no nftables table at all
//    (the setup either succeeded and was torn down, or failed and cleaned up after itself).
#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../../examples/labs/docker_bridge.hpp"
#include "nsnet/detail/sys.hpp"
#include "nsnet/firewall/rule.hpp"
#include "nsnet/firewall/batch.hpp"
#include "nsnet/nft/rule.hpp"
#include "nsnet/nft/table.hpp"
#include "nsnet/route.hpp"
#include "nsnet/transaction.hpp"
#include "nsnet/veth.hpp"
#include "state_support.hpp"
#include "support.hpp"
#include "../support/firewall.hpp"

using namespace nsnet;
using nsnet::test::unique_name;

namespace {

enum class Fault { Eintr, Enobufs, Eagain, Enomem, Truncated, Malformed };
constexpr Fault all_faults[] = {Fault::Eintr, Fault::Enobufs, Fault::Eagain, Fault::Enomem, Fault::Truncated, Fault::Malformed};

const char* fault_name(Fault f) {
    switch (f) {
        case Fault::Eintr: return "EINTR";
        case Fault::Enobufs: return "ENOBUFS";
        case Fault::Eagain: return "EAGAIN";
        case Fault::Enomem: return "ENOMEM";
        case Fault::Truncated: return "truncated reply";
        case Fault::Malformed: return "malformed reply";
    }
    return "?";
}
int injected_errno(Fault f) {
    switch (f) {
        case Fault::Eintr: return EINTR;
        case Fault::Enobufs: return ENOBUFS;
        case Fault::Eagain: return EAGAIN;
        case Fault::Enomem: return ENOMEM;
        default: return 0;
    }
}
bool reply_fault(Fault f) { return f == Fault::Truncated || f == Fault::Malformed; }
int expected_errno(Fault f) { return reply_fault(f) ? EBADMSG : injected_errno(f); }

const char* call_name(detail::Call c) {
    switch (c) {
        case detail::Call::socket: return "socket";
        case detail::Call::bind: return "bind";
        case detail::Call::setsockopt: return "setsockopt";
        case detail::Call::getsockname: return "getsockname";
        case detail::Call::sendmsg: return "sendmsg";
        case detail::Call::recvmsg: return "recvmsg";
        case detail::Call::open: return "open";
        case detail::Call::setns: return "setns";
        case detail::Call::unshare: return "unshare";
        case detail::Call::mount: return "mount";
        case detail::Call::other: return "other";
    }
    return "?";
}

// Counts calls; makes the armed one fail (or corrupts the reply it receives).
class Walker : public detail::FaultInjector {
public:
    void arm(long at, Fault f) {
        std::lock_guard lock(m_);
        count_ = 0;
        at_ = at;
        fault_ = f;
        fired_ = corrupt_ = false;
        calls_.clear();
    }
    int before(detail::Call c) override {
        std::lock_guard lock(m_);
        long n = ++count_;
        calls_.push_back(c);
        if (n != at_) return 0;
        if (reply_fault(fault_)) {
            if (c == detail::Call::recvmsg) corrupt_ = true;  // after_receive() does it
            return 0;
        }
        fired_ = true;
        return injected_errno(fault_);
    }
    ssize_t after_receive(std::byte* data, ssize_t length, std::size_t) override {
        std::lock_guard lock(m_);
        if (!corrupt_) return length;
        corrupt_ = false;
        fired_ = true;
        if (fault_ == Fault::Truncated) return length / 2;
        // Malformed: the first message claims a length shorter than its own header.
        std::uint32_t bad = 8;
        if (length >= 4) std::memcpy(data, &bad, sizeof bad);
        return length;
    }
    long count() {
        std::lock_guard lock(m_);
        return count_;
    }
    bool fired() {
        std::lock_guard lock(m_);
        return fired_;
    }
    detail::Call call(long at) {
        std::lock_guard lock(m_);
        return at >= 1 && static_cast<std::size_t>(at) <= calls_.size() ? calls_[static_cast<std::size_t>(at - 1)]
                                                                          : detail::Call::other;
    }
    std::vector<detail::Call> calls() {
        std::lock_guard lock(m_);
        return calls_;
    }

private:
    std::mutex m_;
    long count_ = 0, at_ = 0;
    Fault fault_ = Fault::Eintr;
    bool fired_ = false, corrupt_ = false;
    std::vector<detail::Call> calls_;
};

// What one run of a setup under a fault did.
struct Outcome {
    bool threw = false;
    int errnum = 0;
    std::string what{};
};

// Tallies of a walk, printed at the end.
struct Tally {
    long steps = 0;                         // calls counted in the fault-free run
    std::map<std::string, int> calls{};     // of those, by kind
    long runs = 0, failed_cleanly = 0, retried_ok = 0, absorbed = 0, not_applicable = 0;
    long leaked = 0;                        // runs after which something was left behind
    std::vector<std::string> absorbed_at{};  // "call 12 (setsockopt) ENOMEM"
    std::map<std::string, int> by_fault{};  // failures seen per fault kind
    std::string summary() const {
        std::string s = std::to_string(steps) + " calls (";
        for (const auto& [k, v] : calls) s += k + " " + std::to_string(v) + ", ";
        s.resize(s.size() - 2);
        s += "); " + std::to_string(runs) + " runs: " + std::to_string(failed_cleanly) + " failed cleanly, " +
             std::to_string(retried_ok) + " EINTR retried and succeeded, " + std::to_string(absorbed) +
             " faults absorbed (setup succeeded), " + std::to_string(not_applicable) +
             " reply faults on a non-receive call skipped, " + std::to_string(leaked) +
             " left something behind; failures by fault:";
        for (const auto& [k, v] : by_fault) s += " " + k + " " + std::to_string(v);
        if (!absorbed_at.empty()) {
            s += "; absorbed:";
            for (std::size_t i = 0; i < absorbed_at.size() && i < 12; ++i) s += " [" + absorbed_at[i] + "]";
            if (absorbed_at.size() > 12) s += " ...";
        }
        return s;
    }
};

bool full_walk() {
    const char* v = std::getenv("NSNET_FAULT_WALK");
    return v && std::string(v) == "full";
}

// Runs `setup` (which returns normally or throws) with the k-th call failing, for every k of the
// fault-free run and every fault of faults_at(k); `teardown` removes what a successful run made;
// `leftovers` describes anything left ("" when nothing).
template <class Setup, class Teardown, class Leftovers, class FaultsAt>
Tally walk(Setup&& setup, Teardown&& teardown, Leftovers&& leftovers, FaultsAt&& faults_at) {
    Walker w;
    Tally t;
    // The fault-free run: counts the calls (a warm-up run first, so lazily opened sockets of
    // long-lived namespaces do not shift the count).
    for (int pass = 0; pass < 2; ++pass) {
        w.arm(0, Fault::Eintr);
        {
            detail::ScopedFaultInjector scope(w);
            setup();
        }
        teardown();
        REQUIRE_MESSAGE(leftovers().empty(), "the fault-free run left: " << leftovers());
    }
    auto calls = w.calls();
    t.steps = static_cast<long>(calls.size());
    for (auto c : calls) ++t.calls[call_name(c)];

    int reported = 0;
    for (long k = 1; k <= t.steps; ++k) {
        for (Fault f : faults_at(k, calls[static_cast<std::size_t>(k - 1)])) {
            if (reply_fault(f) && calls[static_cast<std::size_t>(k - 1)] != detail::Call::recvmsg) {
                ++t.not_applicable;
                continue;
            }
            ++t.runs;
            w.arm(k, f);
            Outcome o;
            {
                detail::ScopedFaultInjector scope(w);
                try {
                    setup();
                } catch (const Error& e) {
                    o = {true, e.errnum(), e.what()};
                } catch (const std::exception& e) {
                    o = {true, -1, std::string("not an nsnet::Error: ") + e.what()};
                }
            }
            const bool fired = w.fired();
            const char* call = call_name(w.call(k));
            if (!o.threw) teardown();
            std::string left = leftovers();
            std::string where = "call " + std::to_string(k) + " (" + call + ") failing with " + fault_name(f);
            bool ok = left.empty();
            if (!fired) {
                // The run took another path and never reached call k (e.g. one receive fewer).
                ++t.absorbed;
                t.absorbed_at.push_back(where + ": not reached");
            } else if (f == Fault::Eintr) {
                ok &= !o.threw;
                if (!o.threw) ++t.retried_ok;
            } else if (!o.threw) {
                ++t.absorbed;  // the library handled the failure (e.g. an optional socket option)
                t.absorbed_at.push_back(where);
            } else {
                // An nf_tables batch reads its answers without blocking (the kernel queues them all
                // before sendmsg returns), so an EAGAIN there reads as "nothing more queued", and a
                // reply cut at a message boundary parses fine but lacks the rest: either way the
                // batch reports the missing answers as EPROTO (outcome unknown, or "applied but
                // echoed no handle").
                const bool missing_answer = o.errnum == EPROTO &&
                                            (o.what.find("did not answer this message of the batch") != std::string::npos ||
                                             o.what.find("echoed no handle") != std::string::npos);
                bool as_expected = o.errnum == expected_errno(f) ||
                                   ((f == Fault::Eagain || reply_fault(f)) && missing_answer);
                ok &= as_expected;
                if (as_expected) {
                    ++t.failed_cleanly;
                    ++t.by_fault[fault_name(f)];
                }
            }
            if (!ok && reported++ < 25) {
                CHECK_MESSAGE(ok, where << ": " << (o.threw ? "threw " + o.what : std::string("did not throw"))
                                        << (o.threw && o.errnum != expected_errno(f)
                                                ? " (errno " + std::to_string(o.errnum) + ", expected " +
                                                      std::to_string(expected_errno(f)) + ")"
                                                : "")
                                        << (left.empty() ? "" : "; LEFT BEHIND: " + left));
            } else if (!ok) {
                CHECK(ok);
            }
            if (!left.empty()) {
                ++t.leaked;
                // Do not let one leak cascade into every later run.
                teardown();
            }
        }
    }
    return t;
}

// --- The VethPair + addresses + routes + sysctl setup ----------------------------------------

const char* const host_side = "fwh0";

Transaction veth_setup(const NetnsRef& host, const std::string& ns_name) {
    Transaction tx;
    auto& ns = tx.add("create netns " + ns_name, [&] { return Netns::create(ns_name); });
    auto& veth = tx.add("create veth", [&] {
        return VethPair::create(host, {.name = host_side, .peer = {.name = "eth0", .netns = ns}});
    });
    tx.add_address(veth.first(), "10.77.0.1/24");
    tx.add_address(veth.second(), "10.77.0.2/24");
    tx.add_address(Link::loopback(host), "10.66.0.1/32");  // on a link that outlives the setup
    tx.step("veth up", [&] {
        veth.first().up();
        veth.second().up();
    });
    tx.create_route(ns, {.dst = "default", .via = "10.77.0.1"});
    tx.create_route(host, {.dst = "10.88.0.0/16", .via = "10.77.0.2"});
    tx.create_route(host, {.dst = "10.99.0.0/16", .type = RouteType::Blackhole});  // outlives the veth
    tx.set_sysctl(host, "net.ipv4.ip_forward", "1");
    return tx;
}

}  // namespace

TEST_CASE("fault walk: Transaction of netns + VethPair + addresses + routes + sysctl leaves nothing at any failing call") {
    Netns host = Netns::create(unique_name("fh"));
    Link::loopback(host).up();
    const test::NetnsState before = test::NetnsState::of(host);
    const auto start_links = test::starting_links();
    const std::string prefix = test::name_prefix() + "fw";
    std::optional<Transaction> live;

    auto setup = [&] { live.emplace(veth_setup(host, unique_name("fw"))); };
    auto teardown = [&] {
        if (live) {
            auto failures = live->rollback();
            CHECK_MESSAGE(failures.empty(), "rollback failed: " << failures.front().step << ": " << failures.front().error);
            live.reset();
        }
        // After a leak: remove what a run left so the next ones start clean.
        if (auto l = Link::find(host, host_side)) try { l->remove(); } catch (const Error&) {}
        try { Route::remove(host, {.dst = "10.99.0.0/16", .type = RouteType::Blackhole}); } catch (const Error&) {}
        try { Link::loopback(host).remove_address("10.66.0.1/32"); } catch (const Error&) {}
        if (ip_forward(host) != (before.ip_forward == "1")) set_ip_forward(host, before.ip_forward == "1");
        for (const auto& n : Netns::list())
            if (n.rfind(prefix, 0) == 0) try { Netns::remove(n); } catch (const Error&) {}
    };
    auto leftovers = [&] {
        std::string out = test::joined(test::own_leftovers(prefix));
        out += before.diff(test::NetnsState::of(host));
        if (test::starting_links() != start_links) out += "links of the test's own namespace changed; ";
        return out;
    };
    auto faults = [](long, detail::Call) { return std::vector<Fault>(std::begin(all_faults), std::end(all_faults)); };

    Tally t = walk(setup, teardown, leftovers, faults);
    const std::string report = "VethPair walk: " + t.summary();
    MESSAGE(report);
    CHECK(t.steps > 20);
    CHECK(t.failed_cleanly > 0);
    CHECK(leftovers().empty());
}

TEST_CASE("fault walk: the docker-bridge lab's setup (through the lab's Context) leaves nothing at any failing call") {
    const auto start_links = test::starting_links();
    const std::string prefix = test::name_prefix() + "dw";
    int run = 0;
    std::optional<lab::Context> ctx;

    auto setup = [&] {
        lab::Options o;
        o.prefix = prefix + std::to_string(++run) + "-";
        ctx.emplace(o, "docker-bridge");
        // As the driver runs a lab: an exception leaves the lab function, then the Context cleans up.
        try {
            docker_bridge::setup_all(*ctx);
        } catch (...) {
            bool clean = ctx->cleanup();
            ctx.reset();
            CHECK_MESSAGE(clean, "the lab's cleanup reported a failure");
            throw;
        }
    };
    auto teardown = [&] {
        if (ctx) {
            CHECK(ctx->cleanup());
            ctx.reset();
        }
        for (const auto& n : Netns::list())
            if (n.rfind(prefix, 0) == 0) try { Netns::remove(n); } catch (const Error&) {}
    };
    auto leftovers = [&] {
        std::string out = test::joined(test::own_leftovers(prefix));
        if (test::starting_links() != start_links) out += "links of the test's own namespace changed; ";
        return out;
    };
    const bool full = full_walk();
    auto faults = [full](long k, detail::Call c) {
        if (full) return std::vector<Fault>(std::begin(all_faults), std::end(all_faults));
        // One fault per call, rotating through the kinds that apply: receives also get the reply faults.
        std::size_t kinds = c == detail::Call::recvmsg ? std::size(all_faults) : 4;
        return std::vector<Fault>{all_faults[static_cast<std::size_t>(k) % kinds]};
    };

    Tally t = walk(setup, teardown, leftovers, faults);
    const std::string report = std::string("docker-bridge walk") + (full ? " (full)" : "") + ": " + t.summary();
    MESSAGE(report);
    CHECK(t.steps > 100);
    CHECK(t.failed_cleanly > 0);
    CHECK(leftovers().empty());
}

// --- Every nftables step, in a long-lived namespace --------------------------------------------

namespace {

// Every nftables table in `ns` with its rule count ("ip nsnet (2 rules); "), "" when there is none.
std::string nft_leftovers(const NetnsRef& ns) {
    nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
    nl::MessageBuilder msg = nft::make_message(NFT_MSG_GETTABLE, 0, static_cast<nft::TableFamily>(NFPROTO_UNSPEC));
    auto tables = nl::dump_collect(s, msg, "list tables", [](const nl::MessageView& m) -> std::optional<nft::Table> {
        if (nft::nft_message(m) != NFT_MSG_NEWTABLE) return std::nullopt;
        return nft::decode_table(m);
    });
    std::string out;
    for (const auto& t : tables) {
        nl::MessageBuilder rd = nft::rule_dump(t.family, t.name);
        std::size_t rules = 0;
        nl::dump(s, rd, "list rules", [&](const nl::MessageView& m) {
            if (nft::nft_message(m) == NFT_MSG_NEWRULE) ++rules;
        });
        out += "nft table " + nft::table_id(t.family, t.name) + " (" + std::to_string(t.use) + " chains, " +
               std::to_string(rules) + " rules); ";
    }
    return out;
}

// Removes whatever nsnet left in `ns` after a leak, so that one leak does not cascade.
void flush_nsnet_table(const NetnsRef& ns) {
    try {
        nl::Socket s = ns.netlink_socket(NETLINK_NETFILTER);
        nft::Batch b;
        b.add(nft::table_del(nft::TableFamily::Ip, nft_table_name), "delete table", "ip nsnet");
        b.run(s);
    } catch (const Error&) {
    }
}

struct NftWalk {
    const char* name;
    // Runs the setup; returns what must be torn down afterwards (owned by `keep`).
    std::function<void(const NetnsRef&, std::vector<std::function<void()>>& keep)> setup;
};

// Runs one nftables setup through walk() with every fault at every call, in namespace `host`.
Tally nft_walk(const NetnsRef& host, const NftWalk& w) {
    std::vector<std::function<void()>> keep;  // teardowns of a successful run, newest last
    auto setup = [&] { w.setup(host, keep); };
    auto teardown = [&] {
        for (auto it = keep.rbegin(); it != keep.rend(); ++it) (*it)();
        keep.clear();
    };
    auto leftovers = [&] {
        std::string out = nft_leftovers(host);
        if (!out.empty()) flush_nsnet_table(host);
        return out;
    };
    auto faults = [](long, detail::Call) { return std::vector<Fault>(std::begin(all_faults), std::end(all_faults)); };
    return walk(setup, teardown, leftovers, faults);
}

// Keeps an object alive in `keep` until teardown, which removes it (and reports a failure).
template <class T>
void hold(std::vector<std::function<void()>>& keep, T&& obj) {
    auto p = std::make_shared<std::decay_t<T>>(std::forward<T>(obj));
    keep.push_back([p] {
        try {
            if constexpr (requires { p->remove(); }) p->remove();
            else p->reset();
        } catch (const Error& e) {
            CHECK_MESSAGE(false, "teardown failed: " << e.what());
        }
    });
}

Prefix pfx(const char* s) { return Prefix::parse(s); }
IpAddress addr(const char* s) { return IpAddress::parse(s); }

const NftWalk nft_walks[] = {
    {"Masquerade::create",
     [](const NetnsRef& ns, auto& keep) {
         hold(keep, Masquerade::create(ns, {.saddr = pfx("172.17.0.0/16"), .oif = "docker0", .oif_negate = true}));
     }},
    {"Snat::create",
     [](const NetnsRef& ns, auto& keep) {
         hold(keep, Snat::create(ns, {.saddr = pfx("10.0.0.0/8"), .to = addr("198.51.100.7"), .counter = true}));
     }},
    {"Dnat::create",
     [](const NetnsRef& ns, auto& keep) {
         hold(keep, Dnat::create(ns, {.protocol = Protocol::Tcp, .dport = 8080, .to = addr("172.17.10.10"), .to_port = 80}));
     }},
    {"FilterRule::create",
     [](const NetnsRef& ns, auto& keep) {
         hold(keep, FilterRule::create(ns, {.iif = "docker0", .protocol = Protocol::Udp, .dport = 53,
                                         .verdict = Verdict::Drop, .counter = true}));
     }},
    {"FilterRule::create (raw)",
     [](const NetnsRef& ns, auto& keep) {
         nft::Exprs e = nft::match_sport(IPPROTO_UDP, 53);
         e.push_back(nft::counter());
         hold(keep, FilterRule::create(ns, RawRuleOptions{.hook = Hook::Input, .exprs = e,
                                                       .description = "udp sport 53 counter"}));
     }},
    {"ForwardPolicy::create",
     [](const NetnsRef& ns, auto& keep) { hold(keep, ForwardPolicy::create(ns, Verdict::Drop)); }},
    {"firewall::Batch (policy, masquerade, snat, dnat, filter)",
     [](const NetnsRef& ns, auto& keep) {
         firewall::Batch b(ns);
         auto p = b.set_forward_policy(Verdict::Drop);
         auto m = b.add(MasqueradeOptions{.saddr = pfx("172.17.0.0/16"), .oif = "docker0", .oif_negate = true});
         auto sn = b.add(SnatOptions{.saddr = pfx("10.1.0.0/16"), .to = addr("198.51.100.8")});
         auto d = b.add(DnatOptions{.protocol = Protocol::Udp, .dport = 5353, .to = addr("172.17.10.10"), .to_port = 53});
         auto f = b.add(FilterRuleOptions{.oif = "docker0", .verdict = Verdict::Accept});
         b.commit();
         hold(keep, std::move(m));
         hold(keep, std::move(sn));
         hold(keep, std::move(d));
         hold(keep, std::move(f));
         hold(keep, std::move(p));
     }},
    {"firewall::Batch (remove one rule, add another)",
     [](const NetnsRef& ns, auto& keep) {
         auto old = Dnat::create(ns, {.protocol = Protocol::Tcp, .dport = 8080, .to = addr("172.17.10.10"), .to_port = 80});
         firewall::Batch b(ns);
         b.remove(old);
         auto moved = b.add(DnatOptions{.protocol = Protocol::Tcp, .dport = 8080, .to = addr("172.17.10.20"), .to_port = 80});
         b.commit();
         CHECK_FALSE(old.active());
         hold(keep, std::move(moved));
     }},
    {"NftRule::remove",
     [](const NetnsRef& ns, auto&) {
         auto f = FilterRule::create(ns, {.hook = Hook::Input, .protocol = Protocol::Tcp, .dport = 22,
                                       .verdict = Verdict::Accept});
         auto m = Masquerade::create(ns, {.saddr = pfx("172.18.0.0/16")});
         m.remove();
         f.remove();  // the last rule: its chain and the table go too
     }},
    {"firewall::Rule::create (inet, owner) + Rule::remove_owned",
     [](const NetnsRef& ns, auto&) {
         namespace fw = nsnet::firewall;
         using fw::Action, fw::Hook, fw::Protocol;
         auto d = fw::Rule::create(ns, {.hook = Hook::Prerouting,
                                    .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                                    .action = Action::Dnat, .to = "10.88.0.2", .to_ports = 80, .owner = "ctr-walk"});
         auto d6 = fw::Rule::create(ns, {.hook = Hook::Prerouting,
                                     .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                                     .action = Action::Dnat, .to = "fd00::2", .to_ports = 80, .owner = "ctr-walk"});
         d.persist();
         d6.persist();
         std::size_t removed = 0;
         try {
             removed = fw::Rule::remove_owned(ns, "ctr-walk");
         } catch (const Error&) {
             // A CNI runtime retries a failed DEL: the retry must leave nothing.
             fw::Rule::remove_owned(ns, "ctr-walk");
             throw;
         }
         CHECK(removed == 2);
     }},
    {"firewall::Rule::create of a list (one batch: a container's portmap rules) + Rule::remove_owned",
     [](const NetnsRef& ns, auto&) {
         namespace fw = nsnet::firewall;
         using fw::Action, fw::Hook, fw::Protocol;
         std::vector<fw::RuleOptions> opts;
         for (Hook hook : {Hook::Prerouting, Hook::Output})
             for (const char* to : {"10.88.0.2", "fd00::2"}) {
                 opts.push_back({.hook = hook,
                                 .match = {.saddr = std::string(to) == "fd00::2" ? "fd00::/64" : "10.88.0.0/24",
                                           .daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                                 .set_meta_mark = fw::MarkSet{.value = 0x2000, .mask = 0x2000},
                                 .action = Action::Dnat, .to = to, .to_ports = 80, .owner = "ctr-batch"});
                 opts.push_back({.hook = hook, .match = {.daddr_local = true, .protocol = Protocol::Tcp, .dport = 8080},
                                 .action = Action::Dnat, .to = to, .to_ports = 80, .owner = "ctr-batch"});
             }
         opts.push_back({.hook = Hook::Postrouting, .match = {.saddr = "10.88.0.2", .daddr = "10.88.0.0/24", .daddr_negate = true},
                         .action = Action::Masquerade, .owner = "ctr-batch"});
         // A failure here (the batch refused, or its answer lost and the kernel not readable
         // afterwards) must leave none of the rules; success, all of them.
         std::vector<fw::Rule> rules = fw::Rule::create(ns, opts);
         CHECK(rules.size() == opts.size());
         for (auto& r : rules) r.persist();
         std::size_t removed = 0;
         try {
             removed = fw::Rule::remove_owned(ns, "ctr-batch");
         } catch (const Error&) {
             fw::Rule::remove_owned(ns, "ctr-batch");  // the runtime's retry of a failed DEL
             throw;
         }
         CHECK(removed == opts.size());
     }},
    {"ForwardPolicy::remove",
     [](const NetnsRef& ns, auto&) {
         auto p = ForwardPolicy::create(ns, Verdict::Drop);
         p.remove();
     }},
};

}  // namespace

TEST_CASE("fault walk: every nftables step (NAT, filter, forward policy, firewall::Batch, removal) leaves no rule, chain or table at any failing call") {
    Netns host = Netns::create(unique_name("fn"));
    REQUIRE(nft_leftovers(host).empty());
    long runs = 0, failed = 0, absorbed = 0, leaked = 0;
    for (const NftWalk& w : nft_walks) {
        CAPTURE(w.name);
        Tally t = nft_walk(host, w);
        MESSAGE(std::string(w.name) << " walk: " << t.summary());
        CHECK(t.steps > 5);
        runs += t.runs;
        failed += t.failed_cleanly;
        absorbed += t.absorbed;
        leaked += t.leaked;
        CHECK(nft_leftovers(host).empty());
    }
    MESSAGE("nftables walks: " << runs << " faults injected, " << failed << " failed cleanly, " << absorbed
                               << " absorbed (the rule was found again by its tag, or the fault was not reached), "
                               << leaked << " left something behind");
    CHECK(leaked == 0);
    CHECK(runs > 500);
}

TEST_CASE("fault walk: a Transaction of a veth pair and nftables rules leaves nothing at any failing call") {
    Netns host = Netns::create(unique_name("ft"));
    Link::loopback(host).up();
    const test::NetnsState before = test::NetnsState::of(host);
    std::optional<Transaction> live;
    auto setup = [&] {
        Transaction tx;
        auto& veth = tx.add("create veth", [&] {
            return VethPair::create(host, {.name = "ftv0", .peer = {.name = "ftv1"}});
        });
        tx.add_address(veth.first(), "172.17.0.1/16");
        tx.add("forward policy drop", [&] { return ForwardPolicy::create(host, Verdict::Drop); });
        tx.add("masquerade", [&] {
            return Masquerade::create(host, {.saddr = pfx("172.17.0.0/16"), .oif = "ftv0", .oif_negate = true});
        });
        tx.add("snat", [&] { return Snat::create(host, {.saddr = pfx("10.2.0.0/16"), .to = addr("198.51.100.9")}); });
        tx.add("dnat 8080", [&] {
            return Dnat::create(host, {.protocol = Protocol::Tcp, .dport = 8080, .to = addr("172.17.10.10"), .to_port = 80});
        });
        tx.add("dnat udp 5353", [&] {
            return Dnat::create(host, {.protocol = Protocol::Udp, .dport = 5353, .to = addr("172.17.10.10"), .to_port = 53});
        });
        tx.add("accept out of the bridge", [&] {
            return FilterRule::create(host, {.iif = "ftv0", .verdict = Verdict::Accept});
        });
        tx.add("accept into the bridge", [&] {
            return FilterRule::create(host, {.oif = "ftv0", .verdict = Verdict::Accept, .counter = true});
        });
        tx.add("count input udp", [&] {
            return FilterRule::create(host, {.hook = Hook::Input, .protocol = Protocol::Udp,
                                          .verdict = Verdict::Continue, .counter = true});
        });
        live.emplace(std::move(tx));
    };
    auto teardown = [&] {
        if (live) {
            auto failures = live->rollback();
            CHECK_MESSAGE(failures.empty(), "rollback failed: " << failures.front().step << ": " << failures.front().error);
            live.reset();
        }
    };
    auto leftovers = [&] {
        std::string out = nft_leftovers(host);
        if (!out.empty()) flush_nsnet_table(host);
        out += before.diff(test::NetnsState::of(host));
        if (auto l = Link::find(host, "ftv0")) {
            out += "link ftv0; ";
            try { l->remove(); } catch (const Error&) {}
        }
        return out;
    };
    auto faults = [](long, detail::Call) { return std::vector<Fault>(std::begin(all_faults), std::end(all_faults)); };
    Tally t = walk(setup, teardown, leftovers, faults);
    MESSAGE("Transaction with nftables steps walk: " << t.summary());
    CHECK(t.steps > 50);
    CHECK(t.failed_cleanly > 0);
    CHECK(nft_leftovers(host).empty());
}
