// libFuzzer target: a software-stack preset (hwmodels::load_runtime), seeded with configs/runtime/.
#include "fmsim/hwmodels/runtime.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fmsim::fuzz::run_loader(data, size, [](const std::string& path) { fmsim::hwmodels::load_runtime(path); });
}
