// nsnet/detail/std_algorithm.hpp — the classic algorithms (std::find, std::sort, ...), without the
// ranges algorithms of <algorithm>.
//
// nsnet uses the iterator-pair algorithms only. Since C++20, libstdc++'s <algorithm> also brings
// <bits/ranges_algo.h> (every std::ranges:: algorithm as a constrained function object), paid by
// every file that includes nsnet (benchmarks/README.md, workload C). libstdc++ keeps the classic
// algorithms in <bits/stl_algo.h>, which its <algorithm> includes; elsewhere this is plain
// <algorithm>.
#pragma once

#if defined(__GLIBCXX__) && __has_include(<bits/stl_algo.h>)
#include <bits/stl_algo.h>
#else
#include <algorithm>
#endif
