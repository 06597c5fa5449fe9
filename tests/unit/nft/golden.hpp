// tests/unit/nft/golden.hpp — reading the golden nft captures (tests/unit/golden/nft_*.txt, format in
// golden/README.md) for the nf_tables encoder tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nsnet/nl/attr.hpp"

namespace nsnet::test {

using ByteVec = std::vector<std::uint8_t>;

inline std::string golden_path(const std::string& file) { return std::string(NSNET_GOLDEN_DIR) + "/" + file; }

// The bytes of golden/<name>.txt (every line not starting with '#' is hex).
inline ByteVec golden_bytes(const std::string& name) {
    std::ifstream in(golden_path(name + ".txt"));
    REQUIRE_MESSAGE(in.good(), "missing golden file " << golden_path(name + ".txt"));
    ByteVec out;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream words(line);
        for (std::string w; words >> w;) out.push_back(static_cast<std::uint8_t>(std::stoul(w, nullptr, 16)));
    }
    return out;
}

// The expression listing of golden/<name>.debug.txt (comment lines dropped).
inline std::string golden_debug(const std::string& name) {
    std::ifstream in(golden_path(name + ".debug.txt"));
    REQUIRE_MESSAGE(in.good(), "missing golden file " << golden_path(name + ".debug.txt"));
    std::string out;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] == '#') continue;
        out += line + "\n";
    }
    return out;
}

inline ByteVec to_vec(nl::Bytes b) {
    ByteVec v(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) v[i] = static_cast<std::uint8_t>(b[i]);
    return v;
}
inline ByteVec to_vec(const std::vector<std::byte>& b) { return to_vec(nl::Bytes(b.data(), b.size())); }
inline nl::Bytes as_bytes(const ByteVec& v) { return {reinterpret_cast<const std::byte*>(v.data()), v.size()}; }

// "" when equal, else where they first differ (for failure messages).
inline std::string first_difference(const ByteVec& got, const ByteVec& want) {
    if (got == want) return {};
    std::size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    char buf[160];
    std::snprintf(buf, sizeof buf, "sizes %zu vs %zu; first difference at byte %zu: got %s, want %s", got.size(),
                  want.size(), i, i < got.size() ? std::to_string(got[i]).c_str() : "end",
                  i < want.size() ? std::to_string(want[i]).c_str() : "end");
    return buf;
}

}  // namespace nsnet::test
