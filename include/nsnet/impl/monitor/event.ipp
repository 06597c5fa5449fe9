// nsnet/impl/monitor/event.ipp — the function bodies of <nsnet/monitor/event.hpp>.
//
// Included at the end of nsnet/monitor/event.hpp where NSNET_DEFINITIONS is set: in every translation unit
// of a header-only program (the bodies are `inline`), and only in the implementation unit of a
// separately compiled one (see nsnet/detail/config.hpp). Not meant to be included by itself.

namespace nsnet {

NSNET_DECL const char* to_string(ObjectKind k) noexcept {
    switch (k) {
        case ObjectKind::Link: return "link";
        case ObjectKind::Address: return "address";
        case ObjectKind::Route: return "route";
        case ObjectKind::Neighbor: return "neighbor";
        case ObjectKind::Rule: return "rule";
    }
    return "?";
}

NSNET_DECL const char* to_string(EventType t) noexcept {
    switch (t) {
        case EventType::New: return "new";
        case EventType::Changed: return "changed";
        case EventType::Deleted: return "deleted";
        case EventType::Resync: return "resync";
    }
    return "?";
}

}  // namespace nsnet
