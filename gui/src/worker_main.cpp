#include "worker_main.hpp"

#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/session.hpp"
#include "fmsim/workloads/errors.hpp"

namespace fmsim::gui {

namespace {
constexpr int kUserErrorExit = 2;      // as the fmsim CLI (docs/cli.md)
constexpr int kInternalErrorExit = 1;
constexpr std::size_t kMemoryPoints = 2000;  // enough for a chart 2,000 pixels wide
constexpr const char* kUsage =
    "usage: fmsim-gui --worker SCENARIO.json [--set key.path=value]... [--csv FILE] [--memory-csv FILE]";

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    if (!out || !(out << text)) throw UserError("cannot write " + path);
}
}  // namespace

bool isWorkerInvocation(int argc, char** argv) { return argc >= 2 && std::strcmp(argv[1], "--worker") == 0; }

int workerMain(int argc, char** argv) {
    std::string scenario, csv, memory;
    std::vector<std::string> sets;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--set" && hasValue) sets.emplace_back(argv[++i]);
        else if (a == "--csv" && hasValue) csv = argv[++i];
        else if (a == "--memory-csv" && hasValue) memory = argv[++i];
        else if (scenario.empty() && !a.starts_with("--")) scenario = a;
        else {
            std::cerr << "error: unexpected argument '" << a << "'\n" << kUsage << "\n";
            return kUserErrorExit;
        }
    }
    if (scenario.empty()) {
        std::cerr << kUsage << "\n";
        return kUserErrorExit;
    }
    try {
        const sim::Scenario sc = sim::load_scenario(scenario, sets);
        sim::ReplayOptions replay;
        replay.op_records = !csv.empty();
        replay.progress = [](std::size_t done, std::size_t total) {
            std::cerr << kWorkerProgressPrefix << done << ' ' << total << '\n' << std::flush;
        };
        const sim::RunReport report = sim::run_scenario(sc, replay);
        if (report.replay && !csv.empty()) write_file(csv, sim::ops_csv(report));
        if (report.replay && !memory.empty()) write_file(memory, sim::memory_csv(*report.replay));
        std::cout << sim::run_envelope_json(sc, report, kMemoryPoints) << std::flush;
        return 0;
    } catch (const UserError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return kUserErrorExit;
    } catch (const std::exception& e) {
        std::cerr << "internal error: " << e.what() << "\n";
        return kInternalErrorExit;
    }
}

}  // namespace fmsim::gui
