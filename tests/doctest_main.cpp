// The main() of tests/unit: plain doctest, no setup (unit tests need no privileges and touch no
// kernel state). The integration tests have their own main (tests/integration/main.cpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
