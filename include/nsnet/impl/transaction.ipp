// nsnet/impl/transaction.ipp — the function bodies of <nsnet/transaction.hpp>.
//
// Included at the end of nsnet/transaction.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_DECL TransactionError::TransactionError(const Error& cause, std::exception_ptr original, std::string step,
                                              std::size_t step_number, std::size_t rolled_back,
                                              std::vector<RollbackFailure> rollback_failures)
    : Error(cause.errnum(), cause.operation(), cause.object(), cause.kernel_message(), cause.detail()),
      original_(std::move(original)),
      step_(std::move(step)),
      step_number_(step_number),
      rolled_back_(rolled_back),
      rollback_failures_(std::move(rollback_failures)) {
    if (cause.bad_attribute_offset() >= 0) set_bad_attribute_offset(cause.bad_attribute_offset());
    if (cause.outcome_unknown()) set_outcome_unknown();
    text_ = "step " + std::to_string(step_number_) + " '" + step_ + "' failed: " + cause.what();
    text_ += " (rolled back " + std::to_string(rolled_back_) + " earlier step" + (rolled_back_ == 1 ? "" : "s");
    if (!rollback_failures_.empty()) {
        text_ += "; could not undo:";
        for (const auto& f : rollback_failures_) text_ += " step '" + f.step + "': " + f.error + ";";
        text_.pop_back();
    }
    text_ += ")";
}

NSNET_LAZY_DEFINITION NSNET_DECL bool TransactionError::invalid_argument() const noexcept {
    try {
        if (original_) std::rethrow_exception(original_);
    } catch (const InvalidArgument&) {
        return true;
    } catch (...) {
    }
    return false;
}

NSNET_DECL Transaction& Transaction::operator=(Transaction&& o) noexcept {
    if (this != &o) {
        if (detail::made_in_this_process(generation_)) (void)rollback();
        entries_ = std::move(o.entries_);
        committed_ = std::exchange(o.committed_, false);
        failed_ = std::exchange(o.failed_, false);
        generation_ = o.generation_;
        steps_ = std::exchange(o.steps_, 0);
    }
    return *this;
}

NSNET_DECL Transaction::~Transaction() {
    if (detail::made_in_this_process(generation_)) (void)rollback();
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::on_rollback(std::string name, std::function<void()> undo) {
    check_open(name);
    ++steps_;
    Entry e;
    e.step = std::move(name);
    e.undo = std::move(undo);
    entries_.push_back(std::move(e));
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::add_address(const Link& link, const PrefixArg& arg, const AddressOptions& options) {
    std::string name = "add address " + arg.to_string() + " to " + link.name();
    const Prefix prefix = parse_in_step(name, [&] { return arg.resolve("address", "add address", link.name()); });
    Link l = link;
    step(
        std::move(name), [&] { l.add_address(prefix, options); },
        [l, prefix]() mutable {
            try {
                l.remove_address(prefix);
            } catch (const Error& e) {
                if (!already_gone(e.errnum())) throw;
            }
        });
}

NSNET_LAZY_DEFINITION NSNET_DECL Route& Transaction::create_route(const NetnsRef& netns, const RouteOptions& options) {
    std::string name = "create route " + (options.dst.empty() ? std::string("(no destination)") : options.dst.to_string());
    if (!options.via.empty()) name += " via " + options.via.to_string();
    if (netns.valid() && !netns.name().empty()) name += " in " + netns.name();
    return add(std::move(name), [&] { return Route::create(netns, options); });
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::set_sysctl(const NetnsRef& netns, std::string_view key, const std::string& value) {
    std::string k(key);
    std::string name = "sysctl -w " + k + "=" + value;
    if (netns.valid() && !netns.name().empty()) name += " in " + netns.name();
    auto old = std::make_shared<std::string>();  // read by the action, written back by the undo
    NetnsRef ns = netns;
    step(
        std::move(name),
        [&] {
            *old = nsnet::sysctl(ns, k);
            nsnet::set_sysctl(ns, k, value);
        },
        [ns, k, old]() {
            if (old->empty()) return;  // the action failed before it read anything
            try {
                nsnet::set_sysctl(ns, k, *old);
            } catch (const Error& e) {
                if (!already_gone(e.errnum())) throw;
            }
        });
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::commit() {
    if (failed_) throw Error(ECANCELED, "commit transaction", {}, {}, "a step failed and everything was rolled back");
    for (auto& e : entries_)
        if (!e.object) e.undo = nullptr;  // frees what the undo held (a NetnsRef keeps a namespace alive)
    std::erase_if(entries_, [](const Entry& e) { return !e.object; });
    committed_ = true;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::persist_all() noexcept {
    while (!entries_.empty()) {
        Entry e = std::move(entries_.back());
        entries_.pop_back();
        if (e.persist) {
            try {
                e.persist();
            } catch (...) {
            }
        }
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<RollbackFailure> Transaction::rollback() noexcept {
    std::vector<RollbackFailure> failures;
    while (!entries_.empty()) {
        Entry e = std::move(entries_.back());
        entries_.pop_back();
        try {
            if (e.undo) e.undo();
        } catch (const std::exception& ex) {
            note(failures, e.step, ex.what());
        } catch (...) {
            note(failures, e.step, "an exception that is not a std::exception");
        }
        try {
            e.object.reset();  // the object's own destructor (quiet by design)
        } catch (...) {
        }
    }
    return failures;
}

NSNET_LAZY_DEFINITION NSNET_DECL std::vector<std::string> Transaction::steps() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.step);
    return out;
}

NSNET_LAZY_DEFINITION NSNET_DECL bool Transaction::already_gone(int err) noexcept {
    return err == ENODEV || err == ENOENT || err == ESRCH || err == EADDRNOTAVAIL;
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::check_open(const std::string& step) const {
    if (failed_)
        throw Error(ECANCELED, "add step to transaction", step, {}, "an earlier step failed and everything was rolled back");
    if (committed_) throw Error(EINVAL, "add step to transaction", step, {}, "the transaction is committed");
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::fail(const std::string& step, const std::function<void()>& own_undo) {
    std::exception_ptr original = std::current_exception();
    std::size_t done = entries_.size();
    std::vector<RollbackFailure> failures;
    if (own_undo) {
        bool unknown = false;
        try {
            std::rethrow_exception(original);
        } catch (const Error& e) {
            unknown = e.outcome_unknown();
        } catch (...) {
        }
        if (unknown) {
            try {
                own_undo();
            } catch (const std::exception& ex) {
                note(failures, step, ex.what());
            } catch (...) {
            }
        }
    }
    for (auto& f : rollback()) failures.push_back(std::move(f));
    failed_ = true;
    try {
        std::rethrow_exception(original);
    } catch (const Error& e) {
        throw TransactionError(e, original, step, steps_, done, std::move(failures));
    }
}

NSNET_LAZY_DEFINITION NSNET_DECL void Transaction::note(std::vector<RollbackFailure>& failures, const std::string& step, const char* what) noexcept {
    try {
        failures.push_back({step, what});
    } catch (...) {
    }
}

}  // namespace nsnet
