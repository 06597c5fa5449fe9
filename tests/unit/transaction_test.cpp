// Unit tests of include/nsnet/transaction.hpp with stand-in objects (no kernel, no root): order of
// undo, what a failed step reports, commit / persist_all / take, and the undo of an action whose
// outcome is unknown. The kernel-facing helpers (add_address, create_route, set_sysctl) are exercised
// by tests/integration/fault_walk_test.cpp.
#include "nsnet/transaction.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using nsnet::Error;
using nsnet::Transaction;
using nsnet::TransactionError;

namespace {

// An RAII stand-in: logs remove(), persist() and a destruction that still owned it.
struct Thing {
    Thing(std::string n, std::vector<std::string>& log) : name(std::move(n)), log(&log) {}
    Thing(Thing&& o) noexcept : name(std::move(o.name)), log(o.log), owned(std::exchange(o.owned, false)) {}
    Thing& operator=(Thing&&) = delete;
    ~Thing() {
        if (owned) log->push_back("destroy " + name);
    }
    void remove() {
        if (fail_remove) throw Error(EBUSY, "remove thing", name);
        log->push_back("remove " + name);
        owned = false;
    }
    void persist() noexcept {
        log->push_back("persist " + name);
        owned = false;
    }
    std::string name;
    std::vector<std::string>* log;
    bool owned = true;
    bool fail_remove = false;
};

// Without remove()/persist(): only its destructor.
struct Plain {
    Plain(std::string n, std::vector<std::string>& log) : name(std::move(n)), log(&log) {}
    Plain(Plain&& o) noexcept : name(std::move(o.name)), log(std::exchange(o.log, nullptr)) {}
    ~Plain() {
        if (log) log->push_back("destroy " + name);
    }
    std::string name;
    std::vector<std::string>* log;
};

}  // namespace

TEST_CASE("Transaction: a failing step undoes the earlier ones newest first and names itself") {
    std::vector<std::string> log;
    Transaction tx;
    auto& a = tx.add("make a", [&] { return Thing("a", log); });
    tx.step("action b", [&] { log.push_back("do b"); }, [&] { log.push_back("undo b"); });
    tx.add("make c", Thing("c", log));
    CHECK(a.name == "a");
    CHECK(tx.size() == 3);
    try {
        tx.step("address veth-n1", [&] { throw Error(EEXIST, "add address 10.0.0.1/24", "veth-n1", "Address already assigned"); },
                [&] { log.push_back("undo d (must not run: the kernel refused it)"); });
        FAIL("no exception");
    } catch (const TransactionError& e) {
        CHECK(e.errnum() == EEXIST);
        CHECK(e.step() == "address veth-n1");
        CHECK(e.step_number() == 4);
        CHECK(e.rolled_back() == 3);
        CHECK(e.operation() == "add address 10.0.0.1/24");
        CHECK(e.object() == "veth-n1");
        CHECK(e.kernel_message() == "Address already assigned");
        CHECK(e.rollback_failures().empty());
        CHECK_FALSE(e.invalid_argument());
        std::string what = e.what();
        CHECK(what.find("step 4 'address veth-n1' failed: add address 10.0.0.1/24 'veth-n1': File exists") == 0);
        CHECK(what.find("(kernel: Address already assigned)") != std::string::npos);
        CHECK(what.find("rolled back 3 earlier steps") != std::string::npos);
    }
    CHECK(log == std::vector<std::string>{"do b", "remove c", "undo b", "remove a"});
    CHECK(tx.failed());
    CHECK(tx.empty());
    CHECK_THROWS_AS(tx.step("more", [] {}), Error);  // a failed transaction takes no more steps
}

TEST_CASE("Transaction: a failing maker is named; bad input stays recognisable") {
    std::vector<std::string> log;
    Transaction tx;
    tx.add("make a", [&] { return Thing("a", log); });
    try {
        tx.add("parse prefix", [&]() -> Thing {
            nsnet::Prefix::parse("10.0.0.1/33");
            return Thing("never", log);
        });
        FAIL("no exception");
    } catch (const TransactionError& e) {
        CHECK(e.errnum() == EINVAL);
        CHECK(e.invalid_argument());
        CHECK(std::string(e.what()).find("10.0.0.1/33") != std::string::npos);
        CHECK(std::string(e.what()).find("step 2 'parse prefix'") == 0);
    }
    CHECK(log == std::vector<std::string>{"remove a"});
}

TEST_CASE("Transaction::add_address takes text or a Prefix; bad text fails its step naming the value") {
    Transaction tx;
    const nsnet::Link lo(nsnet::NetnsRef::current(), 1, "lo");
    try {
        tx.add_address(lo, "10.0.0.300/24");  // refused before anything is sent
        FAIL("no exception");
    } catch (const TransactionError& e) {
        CHECK(e.invalid_argument());
        CHECK(std::string(e.what()).find("step 1 'add address 10.0.0.300/24 to lo'") == 0);
        CHECK(std::string(e.what()).find("address '10.0.0.300/24' is not a prefix") != std::string::npos);
    }
    CHECK(tx.failed());
}

TEST_CASE("Transaction: undo failures are reported and do not stop the rollback") {
    std::vector<std::string> log;
    Transaction tx;
    tx.add("make a", Thing("a", log));
    auto& b = tx.add("make b", Thing("b", log));
    b.fail_remove = true;
    tx.add("make c", Thing("c", log));
    auto failures = tx.rollback();
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].step == "make b");
    CHECK(failures[0].error.find("Device or resource busy") != std::string::npos);
    // b's own destructor still ran (it is quiet by design: here it logs that it still owned b).
    CHECK(log == std::vector<std::string>{"remove c", "destroy b", "remove a"});
}

TEST_CASE("Transaction: an action whose outcome is unknown is undone too; other exceptions pass unchanged") {
    std::vector<std::string> log;
    {
        Transaction tx;
        tx.add("make a", Thing("a", log));
        Error lost(ENOBUFS, "add address 10.0.0.1/24", "veth-n1");
        lost.set_outcome_unknown();
        try {
            tx.step("address", [&] { throw lost; }, [&] { log.push_back("undo address"); });
        } catch (const TransactionError& e) {
            CHECK(e.errnum() == ENOBUFS);
            CHECK(e.outcome_unknown());
        }
        CHECK(log == std::vector<std::string>{"undo address", "remove a"});
    }
    log.clear();
    {
        Transaction tx;
        tx.add("make a", Thing("a", log));
        CHECK_THROWS_AS(tx.step("interrupted", [] { throw std::runtime_error("signal"); }), std::runtime_error);
        CHECK(log == std::vector<std::string>{"remove a"});
    }
}

TEST_CASE("Transaction: destroyed uncommitted it rolls back; committed it keeps actions, removes objects") {
    std::vector<std::string> log;
    {
        Transaction tx;
        tx.add("make a", Thing("a", log));
        tx.step("b", [&] { log.push_back("do b"); }, [&] { log.push_back("undo b"); });
        tx.add("make p", Plain("p", log));
    }
    CHECK(log == std::vector<std::string>{"do b", "destroy p", "undo b", "remove a"});
    log.clear();
    {
        Transaction tx;
        tx.add("make a", Thing("a", log));
        tx.step("b", [&] { log.push_back("do b"); }, [&] { log.push_back("undo b"); });
        tx.add("make c", Thing("c", log));
        tx.commit();
        CHECK(tx.committed());
        CHECK(tx.steps() == std::vector<std::string>{"make a", "make c"});  // the action is permanent now
        CHECK_THROWS_AS(tx.step("late", [] {}), Error);
    }
    CHECK(log == std::vector<std::string>{"do b", "remove c", "remove a"});
}

TEST_CASE("Transaction: persist_all keeps everything; take hands one object over") {
    std::vector<std::string> log;
    {
        Transaction tx;
        tx.add("make a", Thing("a", log));
        auto& b = tx.add("make b", Thing("b", log));
        tx.add("make p", Plain("p", log));
        Thing mine = tx.take(b);
        CHECK(mine.name == "b");
        CHECK(tx.size() == 2);
        tx.persist_all();
        CHECK(tx.empty());
        CHECK(log == std::vector<std::string>{"destroy p", "persist a"});
        log.clear();
    }  // mine: still owned, destroyed here
    CHECK(log == std::vector<std::string>{"destroy b"});
    Transaction tx;
    Thing stranger("s", log);
    CHECK_THROWS_AS(tx.take(stranger), Error);
    stranger.owned = false;
}

TEST_CASE("Transaction: moving keeps the entries and references") {
    std::vector<std::string> log;
    Transaction a;
    auto& t = a.add("make t", Thing("t", log));
    Transaction b = std::move(a);
    CHECK(a.empty());
    CHECK(b.size() == 1);
    Thing got = b.take(t);
    CHECK(got.name == "t");
    CHECK(b.empty());
    got.owned = false;
}
