// nsnet/impl/detail/sys.ipp — the function bodies of <nsnet/detail/sys.hpp>.
//
// Included at the end of nsnet/detail/sys.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet::detail {

NSNET_LAZY_DEFINITION NSNET_DECL std::atomic<FaultInjector*>& fault_injector() noexcept {
    static std::atomic<FaultInjector*> injector{nullptr};
    return injector;
}

}  // namespace nsnet::detail
