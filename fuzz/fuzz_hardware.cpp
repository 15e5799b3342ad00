// libFuzzer target: a hardware preset (hwmodels::load_hardware), seeded with configs/hardware/.
#include "fmsim/hwmodels/hardware.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fmsim::fuzz::run_loader(data, size, [](const std::string& path) { fmsim::hwmodels::load_hardware(path); });
}
