// nsnet/detail/std_thread.hpp — std::thread and std::this_thread::sleep_for, without the rest of <thread>.
//
// nsnet starts plain threads (the namespace thread, NetnsGroup's workers) and sleeps between
// retries; it never uses std::jthread. Since C++20, libstdc++'s <thread> also brings jthread and
// with it <stop_token> and <semaphore>, paid by every file that includes nsnet (benchmarks/README.md,
// workload C). libstdc++ keeps std::thread in <bits/std_thread.h> and sleep_for in
// <bits/this_thread_sleep.h>, which its <thread> includes; elsewhere this is plain <thread>.
#pragma once

#if defined(__GLIBCXX__) && __has_include(<bits/std_thread.h>) && __has_include(<bits/this_thread_sleep.h>)
#include <bits/std_thread.h>
#include <bits/this_thread_sleep.h>
#else
#include <thread>
#endif
