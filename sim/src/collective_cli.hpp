#pragma once
// The link and collective commands of the fmsim CLI: `fmsim link list`, `fmsim collective KIND ...`
// (docs/cli.md, "Links and collectives"). main.cpp registers them before parsing and runs them after.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fmsim::cli {

class CollectiveCommands {
public:
    // Runs the command the user gave if it is one of these and returns true; false otherwise.
    // Throws UserError on bad input (main prints it and exits with 2).
    bool run() const;

private:
    friend std::unique_ptr<CollectiveCommands> add_collective_commands(CLI::App& app);
    CLI::App* link_ = nullptr;
    CLI::App* link_list_ = nullptr;
    CLI::App* collective_ = nullptr;
    std::string kind_, bytes_, link_name_, inter_link_, algorithm_ = "automatic";
    std::int64_t devices_ = 0, devices_per_node_ = 0;
    std::vector<std::int64_t> torus_dims_;
    bool json_ = false;
};

// Adds `link` and `collective` to `app`; the options are bound to the returned object, so keep it
// alive until run().
std::unique_ptr<CollectiveCommands> add_collective_commands(CLI::App& app);

}  // namespace fmsim::cli
