// C — compile time and peak memory of a translation unit that includes <nsnet/nsnet.hpp> and
// creates one veth pair (compile/with_nsnet.cpp), against one that includes only <string> and
// <vector> (compile/baseline.cpp). `g++ -std=c++20 -O0 -c FILE -o /dev/null` (and -O2, for
// information), alternating the files, each run a fresh compiler process: wall time, CPU time
// (user+sys of g++ and cc1plus) and peak RSS (cc1plus's).
//
// Both ways of building nsnet are measured (include/nsnet/detail/config.hpp): header-only, the
// default, and separately compiled (-DNSNET_SEPARATE_COMPILATION: the same file, and once per
// program the implementation unit <nsnet/implementation.hpp>, reported on its own row).
//
// It also reports, for the umbrella's headers in its order, what each one adds to parsing
// (-fsyntax-only of a file including the headers up to it): where the time goes.
//
// Seconds on a shared or virtual machine move with the host (the same compile took 0.47 s and
// 0.78 s an hour apart, both idle), so when valgrind is installed the three -O0 compiles are also
// counted in instructions (cachegrind without cache simulation, every process of the compile
// summed: driver, compiler proper, assembler). The count is the same whatever the load: it is what
// to compare between commits; seconds per instruction is the machine's speed of the day.
#include <dirent.h>

#include <fstream>
#include <sstream>

#include "bench.hpp"

#ifndef NSNET_SOURCE_DIR
#define NSNET_SOURCE_DIR "."
#endif

// Instructions executed by `argv` and its child processes (valgrind's cachegrind without cache
// simulation), or -1 when valgrind is missing or the count cannot be read.
static double instructions_of(const std::vector<std::string>& argv, const std::string& tmpdir) {
    std::vector<std::string> vg{"valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
                                "--cachegrind-out-file=/dev/null", "--log-file=" + tmpdir + "/vg.%p"};
    vg.insert(vg.end(), argv.begin(), argv.end());
    if (bench::run(vg).status != 0) return -1;
    double total = 0;
    int processes = 0;
    if (DIR* d = ::opendir(tmpdir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name.rfind("vg.", 0) != 0) continue;
            std::ifstream log(tmpdir + "/" + name);
            // cachegrind's summary line: "==PID== I   refs:      1,234,567"
            for (std::string line; std::getline(log, line);) {
                const auto at = line.find("I   refs:");
                if (at == std::string::npos) continue;
                std::string digits;
                for (char c : line.substr(at + 9))
                    if (c >= '0' && c <= '9') digits += c;
                if (!digits.empty()) {
                    total += std::stod(digits);
                    ++processes;
                }
            }
            std::remove((tmpdir + "/" + name).c_str());
        }
        ::closedir(d);
    }
    return processes ? total : -1;
}

int main(int argc, char** argv) try {
    bench::Cli cli = bench::parse_cli(argc, argv);
    bench::start_launcher();
    bench::print_context("C compile time");
    const std::string src = cli.opts.count("source") ? cli.opts["source"] : NSNET_SOURCE_DIR;
    const char* env_cxx = std::getenv("CXX");
    const std::string cxx = cli.opts.count("cxx") ? cli.opts["cxx"] : env_cxx && *env_cxx ? env_cxx : "g++";
    const std::string inc = "-I" + src + "/include";
    const std::string with = src + "/benchmarks/compile/with_nsnet.cpp", base = src + "/benchmarks/compile/baseline.cpp";

    // The implementation unit is compiled from a copy with a .cpp name (it is a header in include/).
    char impl_template[] = "/tmp/nsbench-impl-XXXXXX";
    const std::string impl_dir = ::mkdtemp(impl_template);
    const std::string impl = impl_dir + "/nsnet_implementation.cpp";
    bench::write_file(impl, "#include <nsnet/implementation.hpp>\n");

    const std::string B = "<string> + <vector>", N = "<nsnet/nsnet.hpp> + one VethPair (header-only)",
                      S = "<nsnet/nsnet.hpp> + one VethPair (NSNET_SEPARATE_COMPILATION)",
                      I = "nsnet's implementation unit (separate compilation, once per program)";
    const std::string sep = "-DNSNET_SEPARATE_COMPILATION";
    // One compile as measured below: `cxx -std=c++20 OPT [sep] -I... -c FILE -o /dev/null`.
    auto compile = [&](const char* o, bool separate, const std::string& file) {
        std::vector<std::string> argv{cxx, "-std=c++20", o};
        if (separate) argv.push_back(sep);
        argv.insert(argv.end(), {inc, "-c", file, "-o", "/dev/null"});
        return argv;
    };
    bench::Table t("C", "compile time and peak memory of one translation unit (" + cxx + " -std=c++20 -c)");
    for (const char* o : {"-O0", "-O2"}) t.reference(o, B);
    for (int rep = 0; rep < cli.reps; ++rep) {
        for (const char* o : {"-O0", "-O2"}) {
            // Rotate the order from one repetition to the next, so drift in machine load spreads evenly.
            for (int k = 0; k < 4; ++k) {
                switch ((k + rep) % 4) {
                    case 0: t.add(o, B, bench::run_ok(compile(o, false, base))); break;
                    case 1: t.add(o, N, bench::run_ok(compile(o, false, with))); break;
                    case 2: t.add(o, S, bench::run_ok(compile(o, true, with))); break;
                    case 3: t.add(o, I, bench::run_ok(compile(o, true, impl))); break;
                }
            }
        }
    }
    std::remove(impl.c_str());
    ::rmdir(impl_dir.c_str());
    t.target("C: compile time nsnet adds at -O0, header-only (s)", t.wall("-O0", N) - t.wall("-O0", B),
             t.cpu("-O0", N) - t.cpu("-O0", B), 1.5, false, " s");
    t.target("C: compile time nsnet adds at -O0, separately compiled (s)", t.wall("-O0", S) - t.wall("-O0", B),
             t.cpu("-O0", S) - t.cpu("-O0", B), 1.5, false, " s");

    // The same three -O0 compiles counted in instructions (when valgrind is installed).
    std::string counted;
    {
        char vg_template[] = "/tmp/nsbench-vg-XXXXXX";
        const std::string vg_dir = ::mkdtemp(vg_template);
        const double base_i = instructions_of(compile("-O0", false, base), vg_dir);
        if (base_i > 0) {
            const double with_i = instructions_of(compile("-O0", false, with), vg_dir);
            const double sep_i = instructions_of(compile("-O0", true, with), vg_dir);
            char text[1024];
            std::snprintf(text, sizeof text,
                          "Instructions of the whole compile at -O0 (valgrind cachegrind, --cache-sim=no, every "
                          "process of `%s -c` summed; the same count whatever the machine's load or speed):\n\n"
                          "| translation unit | instructions | adds |\n|---|---:|---:|\n"
                          "| %s | %.2f G | |\n| %s | %.2f G | %+.2f G |\n| %s | %.2f G | %+.2f G |\n\n"
                          "This machine's speed now, CPU seconds (median above) per billion instructions: "
                          "%.2f, %.2f and %.2f for the three rows.\n",
                          cxx.c_str(), B.c_str(), base_i / 1e9, N.c_str(), with_i / 1e9, (with_i - base_i) / 1e9,
                          S.c_str(), sep_i / 1e9, (sep_i - base_i) / 1e9, t.cpu("-O0", B) / (base_i / 1e9),
                          t.cpu("-O0", N) / (with_i / 1e9), t.cpu("-O0", S) / (sep_i / 1e9));
            counted = text;
        } else {
            counted = "(No instruction counts: valgrind is not installed or failed; `apt-get install valgrind`.)\n";
        }
        ::rmdir(vg_dir.c_str());
    }

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
        double prev = 0, prev_sep = 0;
        breakdown = "Parsing cost of the umbrella's headers (cumulative, `-fsyntax-only -O0`, CPU time, best of 3; "
                    "a negative step is noise), header-only and with -DNSNET_SEPARATE_COMPILATION:\n\n"
                    "| up to and including | header-only | adds | separately compiled | adds |\n"
                    "|---|---:|---:|---:|---:|\n";
        auto best_of_3 = [&](bool separate) {
            double best = 1e9;
            for (int k = 0; k < 3; ++k) {
                std::vector<std::string> argv{cxx, "-std=c++20", "-O0", inc, "-fsyntax-only", dir + "/cum.cpp"};
                if (separate) argv.push_back(sep);
                best = std::min(best, bench::run_ok(argv).cpu);
            }
            return best;
        };
        for (const auto& h : headers) {
            text += "#include \"" + h + "\"\n";
            bench::write_file(dir + "/cum.cpp", text);
            const double whole = best_of_3(false), declared = best_of_3(true);
            char line[256];
            std::snprintf(line, sizeof line, "| %s | %.2f s | %+.2f s | %.2f s | %+.2f s |\n", h.c_str(), whole,
                          whole - prev, declared, declared - prev_sep);
            breakdown += line;
            prev = whole;
            prev_sep = declared;
        }
        std::remove((dir + "/cum.cpp").c_str());
        ::rmdir(dir.c_str());
    }
    t.print(cli.reps, bench::load_note());
    std::printf("\n%s", counted.c_str());
    if (!breakdown.empty()) std::printf("\n%s", breakdown.c_str());
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "c_compile: %s\n", e.what());
    return 1;
}
