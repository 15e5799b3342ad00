#pragma once
// Facade additions for interactive clients (fmsim-gui): one run's results as a single JSON
// envelope a worker process prints, a device parsed from edited JSON text, and a scenario's file
// references made independent of the folder it is written to.
#include <cstddef>
#include <string>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/sim/report.hpp"
#include "fmsim/sim/scenario.hpp"

namespace fmsim::sim {

// One run as a compact JSON object (docs/gui.md, "Worker processes"):
//   report_json      report_json(r), as text (its key order kept for export)
//   hardware         hardware_json of the device (derived peaks, ridge points), null without one
//   memory_channels  the device's off-chip memory channels (0 without a device)
//   memory_timeline  {time_s, weights_bytes, kv_cache_bytes, activation_bytes, workspace_bytes,
//                     training_state_bytes}: one array each, the timeline downsampled
//                     (downsample_memory) to at most `memory_points` points
// The per-op records and the whole memory timeline are large: ops_csv and memory_csv give them.
std::string run_envelope_json(const Scenario& sc, const RunReport& r, std::size_t memory_points);

// A hardware description as JSON text (a preset's content, possibly edited), validated as a preset
// file would be: a ConfigError naming `origin` and the JSON path. A relative `tech` path resolves
// against `origin`'s folder.
hwmodels::HardwareSpec hardware_from_json_text(const std::string& text, const std::string& origin);

// The file of a hardware preset (a name in configs/hardware/ or a path); a UserError with a
// did-you-mean for an unknown name.
std::string hardware_preset_file(const std::string& name_or_path);

// The scenario JSON text with every relative file reference (model, hardware, runtime, the links
// of `system`, an inline hardware's `tech`) made absolute against `from_dir`; preset names stay
// names. A scenario written elsewhere (a temporary file, Save As) then loads the same files.
std::string rebase_scenario_refs(const std::string& scenario_text, const std::string& from_dir);

}  // namespace fmsim::sim
