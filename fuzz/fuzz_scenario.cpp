// libFuzzer target: a scenario file (sim::load_scenario), seeded with configs/scenarios/.
#include "fmsim/sim/scenario.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fmsim::fuzz::run_loader(data, size, [](const std::string& path) { fmsim::sim::load_scenario(path); });
}
