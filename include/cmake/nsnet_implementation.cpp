// The implementation unit of a separately compiled nsnet (NSNET_SEPARATE_COMPILATION), installed
// next to nsnetConfig.cmake: the CMake target nsnet::compiled compiles it once in the consumer's
// build. Without CMake, compile a file like this one yourself (README: "Header-only or separately
// compiled").
#include <nsnet/implementation.hpp>
