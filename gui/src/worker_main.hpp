#pragma once
// Worker mode of fmsim-gui: one simulation in its own process (the SystemC device model is one
// per process and cannot be stopped mid-run, so the GUI runs and cancels it from outside).
namespace fmsim::gui {

// `fmsim-gui --worker SCENARIO.json [--set key.path=value]... [--csv FILE] [--memory-csv FILE]`:
// loads and runs the scenario through the facade and prints its result envelope (sim/session.hpp)
// on stdout; --csv and --memory-csv also write the per-op records and the memory timeline, as
// `fmsim run` does. A user error (a bad scenario) prints "error: MESSAGE" on stderr and returns 2;
// anything else returns 1.
int workerMain(int argc, char** argv);

// Before its result, the worker reports progress on stderr, one line per replayed stage graph:
// "progress OPS_DONE OPS_TOTAL".
inline constexpr const char* kWorkerProgressPrefix = "progress ";

// True when argv asks for worker mode (the GUI then never starts).
bool isWorkerInvocation(int argc, char** argv);

}  // namespace fmsim::gui
