// nsnet/transaction.hpp — transactional setup: several creations that succeed together or leave nothing.
//
// Layer: typed objects. A Transaction owns what a multi-step setup created (namespaces, links,
// routes, rules, NAT rules: any nsnet owner) and records an undo for plain actions (an address, a
// sysctl, `ip link set up`). If a step fails, everything done so far is undone newest first and
// the failure comes out as a TransactionError that names the step and keeps the original errno,
// operation, object and kernel text:
//
//   nsnet::Transaction tx;
//   auto& ns   = tx.add("create netns n1", [&] { return nsnet::Netns::create("n1"); });
//   auto& veth = tx.add("create veth", [&] {
//       return nsnet::VethPair::create(ns, {.name = "veth-n1", .peer = {.name = "veth-host"}});
//   });
//   tx.add_address(veth.first(), "10.0.0.1/24");                 // undo: ip addr del
//   tx.step("veth-host up", [&] { veth.second().up(); }, [&] { veth.second().down(); });
//   tx.create_route(nsnet::NetnsRef::current(), {.dst = "10.9.0.0/16", .via = "10.0.0.1"});
//   tx.set_sysctl(ns, "net.ipv4.ip_forward", "1");               // undo: the old value
//   tx.commit();
//   // step 3 'add address 10.0.0.1/24 to veth-n1' failed: add address 10.0.0.1/24 'veth-n1': ...
//
// Lifetime:
//  - Until commit(), destroying the Transaction (an exception elsewhere unwinding the setup) or
//    calling rollback() undoes everything, as a failed step does.
//  - commit() ends the setup. The effects of step()s become permanent, like the `ip` commands they
//    stand for (an address dies with its link, a sysctl with its namespace); their undos are
//    dropped. Owned objects stay owned by the Transaction and are removed, newest first, when it
//    is destroyed, unless persist_all() keeps them past it; take() hands one over to the caller.
//  - add(step, object) also accepts an object created already; it is owned and undone like the
//    others, but a failure while creating it happened before the Transaction saw it, so that
//    error is not wrapped (the Transaction still undoes the earlier steps as the exception
//    unwinds it). Pass a callable (add(step, [&] { return X::create(...); })) to have the step named.
//
// Undo semantics: an object is undone by its remove() (if it has one) and then its destructor;
// an action by the undo it was given. An undo that fails does not stop the others: the failures
// are returned by rollback() and listed in the TransactionError. When an action fails with an
// Error whose outcome is unknown (Error::outcome_unknown(): the kernel got the request but its
// answer was lost), its own undo runs too, so undos must tolerate "nothing to undo".
// Exceptions that are not nsnet::Error (std::bad_alloc, a caller's own) roll back the same way
// and propagate unchanged.
//
// Not thread-safe: one thread builds a Transaction (the objects inside may be used from any).
#pragma once

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nsnet/detail/config.hpp"
#include "nsnet/detail/std_function.hpp"
#include "nsnet/error.hpp"
#include "nsnet/ip.hpp"
#include "nsnet/link.hpp"
#include "nsnet/netns.hpp"
#include "nsnet/route.hpp"
#include "nsnet/sysctl.hpp"

namespace nsnet {

// An undo that failed during a rollback: which step, and the error's text.
struct RollbackFailure {
    std::string step{};
    std::string error{};
};

// A step of a Transaction failed. errnum(), operation(), object(), kernel_message() and detail()
// are the original Error's; what() leads with the step:
//   step 3 'add address 10.0.0.1/24 to veth-n1' failed: add address 10.0.0.1/24 'veth-n1': File exists
//   (rolled back 2 earlier steps)
class TransactionError : public Error {
public:
    TransactionError(const Error& cause, std::exception_ptr original, std::string step, std::size_t step_number,
                     std::size_t rolled_back, std::vector<RollbackFailure> rollback_failures);

    // The step's name, as given to add()/step().
    const std::string& step() const noexcept { return step_; }
    // Its position in the transaction, from 1.
    std::size_t step_number() const noexcept { return step_number_; }
    // How many earlier steps were undone.
    std::size_t rolled_back() const noexcept { return rolled_back_; }
    // Undos that failed (their objects may remain); empty when the rollback was complete.
    const std::vector<RollbackFailure>& rollback_failures() const noexcept { return rollback_failures_; }
    // The exception the step threw (an InvalidArgument, an Error, a nested TransactionError).
    std::exception_ptr cause() const noexcept { return original_; }
    // True when the step's own input was refused before anything reached the kernel.
    NSNET_LAZY bool invalid_argument() const noexcept;

    const char* what() const noexcept override { return text_.c_str(); }

private:
    std::exception_ptr original_;
    std::string step_;
    std::size_t step_number_ = 0;
    std::size_t rolled_back_ = 0;
    std::vector<RollbackFailure> rollback_failures_;
    std::string text_;
};

class Transaction {
public:
    Transaction() = default;
    Transaction(Transaction&& o) noexcept
        : entries_(std::move(o.entries_)), committed_(std::exchange(o.committed_, false)),
          failed_(std::exchange(o.failed_, false)), generation_(o.generation_), steps_(std::exchange(o.steps_, 0)) {}
    Transaction& operator=(Transaction&& o) noexcept;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    // Undoes everything not committed or persisted, newest first (see the file comment). Not in a
    // child process (fork): a child's copy leaves the parent's uncommitted steps alone.
    ~Transaction();

    // Owns an object. With a callable, creates it now: add("create veth", [&] { return VethPair::create(...); });
    // a failure rolls the transaction back and throws TransactionError naming the step. With an
    // object (add("create veth", VethPair::create(...))), takes it over. Returns a reference that
    // stays valid while the Transaction owns the object.
    template <class T>
    auto& add(std::string step, T&& object_or_maker) {
        check_open(step);
        if constexpr (std::is_invocable_v<T&>) {
            using R = std::remove_cvref_t<std::invoke_result_t<T&>>;
            static_assert(!std::is_void_v<R>, "add() keeps what the callable returns: use step() for actions");
            ++steps_;
            std::unique_ptr<R> made;
            try {
                made = std::make_unique<R>(object_or_maker());
            } catch (...) {
                fail(step, {});
            }
            return own(std::move(step), std::move(made));
        } else {
            static_assert(!std::is_lvalue_reference_v<T>, "add() takes ownership: pass a temporary or std::move(x)");
            using R = std::remove_cvref_t<T>;
            ++steps_;
            return own(std::move(step), std::make_unique<R>(std::move(object_or_maker)));
        }
    }

    // Runs an action now, remembering `undo` for a rollback before commit(). A failure rolls back
    // the transaction (and this action's own undo when its outcome is unknown, see the file comment)
    // and throws TransactionError naming the step.
    template <class Do>
    void step(std::string name, Do&& action) {
        step(std::move(name), std::forward<Do>(action), std::function<void()>{});
    }
    template <class Do, class Undo>
    void step(std::string name, Do&& action, Undo&& undo) {
        check_open(name);
        std::function<void()> u(std::forward<Undo>(undo));
        ++steps_;
        try {
            action();
        } catch (...) {
            fail(name, u);
        }
        Entry e;
        e.step = std::move(name);
        e.undo = std::move(u);
        entries_.push_back(std::move(e));
    }
    // Records an undo for something done already (outside the transaction).
    NSNET_LAZY void on_rollback(std::string name, std::function<void()> undo);

    // ip addr add PREFIX dev LINK, PREFIX as text ("10.0.0.1/24") or a Prefix; undone by ip addr del
    // (an address already gone, with its link or namespace, counts as undone). Bad text fails the
    // step with an InvalidArgument naming the value.
    NSNET_LAZY void add_address(const Link& link, const PrefixArg& prefix, const AddressOptions& options = {});

    // Route::create(netns, options) as a step: removed on rollback, and with the Transaction unless
    // persisted. (Any other owner: add("step", [&] { return X::create(ns, options); }).)
    NSNET_LAZY Route& create_route(const NetnsRef& netns, const RouteOptions& options);

    // sysctl -w KEY=VALUE in the namespace; undone by writing back the value it had.
    NSNET_LAZY void set_sysctl(const NetnsRef& netns, std::string_view key, const std::string& value);

    // Ends the setup: step()s' undos are dropped (their effects stay), owned objects stay owned.
    // No steps may be added afterwards.
    NSNET_LAZY void commit();
    bool committed() const noexcept { return committed_; }
    // True after a step failed (the transaction was rolled back and takes no more steps).
    bool failed() const noexcept { return failed_; }

    // Keeps everything past the Transaction: persist() on each object that has one, undos dropped.
    // Objects without persist() (a server thread, a plain handle) are destroyed, newest first.
    NSNET_LAZY void persist_all() noexcept;

    // Undoes everything now, newest first: objects are remove()d and destroyed, uncommitted
    // actions undone. Never throws; returns the undos that failed (the rest still ran).
    NSNET_LAZY std::vector<RollbackFailure> rollback() noexcept;

    // Hands an owned object over to the caller (it is no longer undone or removed by the Transaction).
    template <class T>
    T take(T& object) {
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->object.get() == static_cast<void*>(&object)) {
                T out = std::move(object);
                entries_.erase(it);  // destroys the moved-from husk
                return out;
            }
        }
        throw Error(ENOENT, "take object from transaction", {}, {}, "the object is not owned by this transaction");
    }

    // Number of live entries (owned objects, and uncommitted actions).
    std::size_t size() const noexcept { return entries_.size(); }
    bool empty() const noexcept { return entries_.empty(); }
    // The names of the live entries, oldest first.
    NSNET_LAZY std::vector<std::string> steps() const;

    // For errors that mean "the thing to undo is gone already" (with its link or namespace).
    NSNET_LAZY static bool already_gone(int err) noexcept;

private:
    struct Entry {
        std::string step{};
        std::function<void()> undo{};
        std::function<void()> persist{};
        std::shared_ptr<void> object{};  // owns the object (type-erased deleter); null for actions
    };

    template <class R>
    R& own(std::string step, std::unique_ptr<R> object) {
        R* p = object.get();
        Entry e;
        e.step = std::move(step);
        if constexpr (requires(R& r) { r.remove(); }) e.undo = [p] { p->remove(); };
        if constexpr (requires(R& r) { r.persist(); }) e.persist = [p] { p->persist(); };
        e.object = std::shared_ptr<R>(std::move(object));
        entries_.push_back(std::move(e));
        return *p;
    }

    NSNET_LAZY void check_open(const std::string& step) const;

    template <class Fn>
    auto parse_in_step(const std::string& step, Fn&& fn) -> std::invoke_result_t<Fn&> {
        check_open(step);
        try {
            return fn();
        } catch (...) {
            ++steps_;
            fail(step, {});
        }
    }

    // Called from a catch block: rolls back (running the failed action's undo first when its outcome
    // is unknown), then throws TransactionError for an nsnet::Error, or rethrows anything else.
    NSNET_LAZY [[noreturn]] void fail(const std::string& step, const std::function<void()>& own_undo);

    NSNET_LAZY static void note(std::vector<RollbackFailure>& failures, const std::string& step, const char* what) noexcept;

    std::vector<Entry> entries_{};
    bool committed_ = false;
    bool failed_ = false;
    std::uint64_t generation_ = detail::fork_generation();  // the process whose steps these are
    std::size_t steps_ = 0;  // steps attempted (for the failing step's number)
};

}  // namespace nsnet

#if NSNET_DEFINITIONS
#include "nsnet/impl/transaction.ipp"
#endif
