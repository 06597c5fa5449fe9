// nsnet/detail/std_chrono.hpp — std::chrono's durations, clocks and literals, without the rest of <chrono>.
//
// nsnet's declarations need durations only (timeouts, bridge and VXLAN timers). Since C++20,
// libstdc++'s <chrono> also brings the calendar, time zones and <sstream> for their formatting:
// about a quarter of a billion instructions of the compiler in every file that includes nsnet, for
// nothing nsnet uses (benchmarks/README.md, workload C). libstdc++ keeps durations, time points,
// clocks and the literals in <bits/chrono.h>, which its <chrono> includes; elsewhere (libc++, or a
// libstdc++ without that header) this is plain <chrono>. A program that wants the calendar includes
// <chrono> itself, as it would have to anyway.
#pragma once

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif
