// C — compile time and peak memory of a translation unit that includes <nsnet/nsnet.hpp> and
// creates one veth pair (compile/with_nsnet.cpp), against one that includes only <string> and
// <vector> (compile/baseline.cpp). `g++ -std=c++20 -O0 -c FILE -o /dev/null` (and -O2, for
// information), alternating the two files, each run a fresh compiler process: wall time, CPU time
// (user+sys of g++ and cc1plus) and peak RSS (cc1plus's).
//
// It also reports, for the umbrella's headers in its order, what each one adds to parsing
// (-fsyntax-only of a file including the headers up to it): where the time goes.
#include <fstream>
#include <sstream>

#include "bench.hpp"

#ifndef NSNET_SOURCE_DIR
#define NSNET_SOURCE_DIR "."
#endif

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    bench::start_launcher();
    bench::print_context("C compile time");
    const std::string src = cli.opts.count("source") ? cli.opts["source"] : NSNET_SOURCE_DIR;
    const char* env_cxx = std::getenv("CXX");
    const std::string cxx = cli.opts.count("cxx") ? cli.opts["cxx"] : env_cxx && *env_cxx ? env_cxx : "g++";
    const std::string inc = "-I" + src + "/include";
    const std::string with = src + "/benchmarks/compile/with_nsnet.cpp", base = src + "/benchmarks/compile/baseline.cpp";

    bench::Table t("C", "compile time and peak memory of one translation unit (" + cxx + " -std=c++20 -c)");
    for (const char* o : {"-O0", "-O2"}) t.reference(o, "<string> + <vector>");
    for (int rep = 0; rep < cli.reps; ++rep) {
        for (const char* o : {"-O0", "-O2"}) {
            for (int k = 0; k < 2; ++k) {
                bool nsnet = (k + rep) % 2 == 0;
                auto r = bench::run_ok({cxx, "-std=c++20", o, inc, "-c", nsnet ? with : base, "-o", "/dev/null"});
                t.add(o, nsnet ? "<nsnet/nsnet.hpp> + one VethPair" : "<string> + <vector>", r);
            }
        }
    }
    const std::string N = "<nsnet/nsnet.hpp> + one VethPair", B = "<string> + <vector>";
    double dw = t.wall("-O0", N) - t.wall("-O0", B), dc = t.cpu("-O0", N) - t.cpu("-O0", B);
    t.target("C: compile time nsnet adds at -O0 (s)", dw, dc, 1.5, false, " s");

    // Where the time goes: the umbrella's headers one after the other, -fsyntax-only.
    std::string breakdown;
    if (!cli.quick) {
        std::ifstream umbrella(src + "/include/nsnet/nsnet.hpp");
        std::vector<std::string> headers;
        for (std::string line; std::getline(umbrella, line);)
            if (line.rfind("#include \"", 0) == 0) headers.push_back(line.substr(10, line.find('"', 10) - 10));
        char dir_template[] = "/tmp/nsbench-c-XXXXXX";
        const std::string dir = ::mkdtemp(dir_template);
        std::string text;
        double prev = 0;
        breakdown = "Parsing cost of the umbrella's headers (cumulative, `-fsyntax-only -O0`, CPU time, best of 3; "
                    "a negative step is noise):\n\n"
                    "| up to and including | CPU | adds |\n|---|---:|---:|\n";
        for (const auto& h : headers) {
            text += "#include \"" + h + "\"\n";
            bench::write_file(dir + "/cum.cpp", text);
            double best = 1e9;
            for (int k = 0; k < 3; ++k)
                best = std::min(best, bench::run_ok({cxx, "-std=c++20", "-O0", inc, "-fsyntax-only", dir + "/cum.cpp"}).cpu);
            char line[256];
            std::snprintf(line, sizeof line, "| %s | %.2f s | %+.2f s |\n", h.c_str(), best, best - prev);
            breakdown += line;
            prev = best;
        }
        std::remove((dir + "/cum.cpp").c_str());
        ::rmdir(dir.c_str());
    }
    t.print(cli.reps, bench::load_note());
    if (!breakdown.empty()) std::printf("\n%s", breakdown.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "c_compile: %s\n", e.what());
    return 1;
}
