#pragma once
// Shared by the libFuzzer targets (docs/development.md, "Fuzzing"): each target hands the fuzzer's
// bytes to a loader as a config file, exactly as a user's file reaches it. A UserError (exit 2) is
// the loader doing its job; any other exception (what the CLI reports as an internal error, exit 3),
// a crash or a sanitizer report is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "fmsim/workloads/errors.hpp"

namespace fmsim::fuzz {

// The input as a file of this process (one path per process, rewritten on each input).
inline std::string write_input(const std::uint8_t* data, std::size_t size) {
    static const std::string path = "/tmp/fmsim-fuzz-" + std::to_string(::getpid()) + ".json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

template <class Load>
int run_loader(const std::uint8_t* data, std::size_t size, Load load) {
    const std::string path = write_input(data, size);
    try {
        load(path);
    } catch (const UserError&) {
        // a clear error for the user: expected for most inputs
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fmsim fuzz: internal error (exit 3 class) on this input: %s\n", e.what());
        std::abort();
    }
    return 0;
}

}  // namespace fmsim::fuzz
