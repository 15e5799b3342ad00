// libFuzzer target: a model config, zoo entry or Hugging Face config.json (workloads::load_model),
// then the graph of a short prefill and a two-token generation of it, so that what the loader
// accepts is also built. Seeded with configs/models/ and tests/data/hf/.
#include "fmsim/workloads/model.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return fmsim::fuzz::run_loader(data, size, [](const std::string& path) {
        const auto model = fmsim::workloads::load_model(path);
        fmsim::workloads::RunSpec run;
        run.phase = model->default_phase();
        model->build(run);
    });
}
