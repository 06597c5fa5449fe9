// nsnet/implementation.hpp — the definitions of a separately compiled nsnet (see detail/config.hpp).
//
// In a program built with NSNET_SEPARATE_COMPILATION defined everywhere, exactly one .cpp file
// contains only
//     #include <nsnet/implementation.hpp>
// and is compiled and linked once. Header-only programs (the default) never include this file.
// No include guard on purpose: it is meant to be a translation unit's only include.
#ifndef NSNET_SEPARATE_COMPILATION
#error "<nsnet/implementation.hpp> is for NSNET_SEPARATE_COMPILATION builds; a header-only program does not include it"
#endif
#ifdef NSNET_DETAIL_CONFIG_INCLUDED
#error "<nsnet/implementation.hpp> must be the first and only nsnet include of its translation unit"
#endif

#define NSNET_IMPLEMENTATION 1
#include "nsnet/nsnet.hpp"
