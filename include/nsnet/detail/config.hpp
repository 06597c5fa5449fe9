// nsnet/detail/config.hpp — how nsnet is built: header-only (the default) or separately compiled.
//
// Header-only: every function is defined in its header and marked `inline`; including
// <nsnet/nsnet.hpp> is all a program needs.
//
// Separate compilation, for programs that include nsnet from many translation units and care about
// build time (the pattern of asio's ASIO_SEPARATE_COMPILATION and {fmt}'s compiled mode): define
// NSNET_SEPARATE_COMPILATION for the whole program and compile <nsnet/implementation.hpp> in
// exactly one translation unit (with Meson, use nsnet_compiled_dep instead of nsnet_dep). The
// headers then only declare nsnet's non-template functions, so including them parses declarations
// rather than bodies and instantiates none of the templates those bodies use: that is most of the
// compile time of a header-only include (benchmarks/README.md, workload C).
//
// How a header is laid out for this: the header declares; the function bodies that do real work
// are in nsnet/impl/<same path>.ipp, each marked NSNET_DECL, included at the header's end under
// `#if NSNET_DEFINITIONS` (asio's impl/*.ipp pattern). Templates, constexpr functions and one-line
// accessors stay in the class: they cost little and must be visible to inline them.
#pragma once

#define NSNET_DETAIL_CONFIG_INCLUDED 1

#if defined(NSNET_SEPARATE_COMPILATION)
// Declarations have external linkage; their one definition is in the implementation unit.
#define NSNET_DECL
#if defined(NSNET_IMPLEMENTATION)
#define NSNET_DEFINITIONS 1
#else
#define NSNET_DEFINITIONS 0
#endif
#else
#define NSNET_DECL inline
#define NSNET_DEFINITIONS 1
#endif

// Lazy bodies. A header-only program compiles the body of every inline function it includes,
// called or not, and every template those bodies name: most of what including <nsnet/nsnet.hpp>
// costs (benchmarks/README.md, workload C). Only a template's body waits until it is used. So a
// function whose body is heavy and that a program may well never call is declared
//     NSNET_LAZY NSNET_DECL R f(args);          (in its header; a member: NSNET_LAZY R f(args);)
// and defined
//     NSNET_LAZY_DEFINITION NSNET_DECL R f(args) { ... }        (in its .ipp)
// Header-only, that makes it a function template with one defaulted parameter nobody names
// (`f(args)` calls it as before; only its address needs `&f<>`), compiled the first time a
// program calls it. Separately compiled, both macros are empty: an ordinary function, compiled
// once in the implementation unit. Copy and move constructors, destructors, assignments and
// virtual functions cannot be made lazy this way (they stay eager; other constructors can); neither
// can an inline body that names a lazy function make it lazy: the caller must be lazy too, or it
// instantiates the callee. Rules that follow, and how to find what is still compiled eagerly:
// DEVELOPERS.md, "Lazy bodies".
#if defined(NSNET_SEPARATE_COMPILATION)
#define NSNET_LAZY
#define NSNET_LAZY_DEFINITION
#else
#define NSNET_LAZY template <class NsnetLazy = void>
#define NSNET_LAZY_DEFINITION template <class NsnetLazy>
#endif
