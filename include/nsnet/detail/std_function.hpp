// nsnet/detail/std_function.hpp — std::function, without the rest of <functional>.
//
// Callbacks nsnet keeps (a transaction's undo steps, a monitor's callback, dump restarts) are
// std::function. Since C++17, libstdc++'s <functional> also brings the searchers (Boyer-Moore, with
// <unordered_map>, <vector> and <array>) and std::bind: about a quarter of a billion instructions of
// the compiler in every file that includes nsnet, for nothing nsnet uses (benchmarks/README.md,
// workload C). libstdc++ keeps std::function alone in <bits/std_function.h>, which its
// <functional> includes; elsewhere this is plain <functional>.
#pragma once

#if defined(__GLIBCXX__) && __has_include(<bits/std_function.h>)
#include <bits/std_function.h>
#else
#include <functional>
#endif
