#pragma once
// User errors: a bad config or an impossible scenario. The CLI prints what() and exits with 2.
// Internal invariants use assert instead.
#include <stdexcept>
#include <string>
#include <vector>

namespace fmsim {

class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A config file that does not say what fmsim needs. Names the file, the JSON pointer (RFC 6901)
// and what was expected. One error may carry several problems of the same file (a schema reports
// every bad or unknown key of an object at once): what() has one "file: pointer: message" line each.
class ConfigError : public UserError {
public:
    struct Problem {
        std::string pointer, message;
    };
    ConfigError(std::string file, std::string pointer, const std::string& message)
        : ConfigError(file, std::vector<Problem>{{std::move(pointer), message}}) {}
    ConfigError(const std::string& file, std::vector<Problem> problems)
        : UserError(text(file, problems)), file_(file), problems_(std::move(problems)) {}
    const std::string& file() const { return file_; }
    const std::string& pointer() const { return problems_.front().pointer; }  // the first problem's
    const std::vector<Problem>& problems() const { return problems_; }

private:
    static std::string text(const std::string& file, const std::vector<Problem>& problems) {
        std::string out;
        for (const auto& p : problems)
            out += (out.empty() ? "" : "\n") + file + ": " + (p.pointer.empty() ? std::string("/") : p.pointer) + ": " +
                   p.message;
        return out;
    }
    std::string file_;
    std::vector<Problem> problems_;
};

// A well-formed request that cannot be built (a phase the model has no meaning for, ...).
class ScenarioError : public UserError {
public:
    using UserError::UserError;
};

}  // namespace fmsim
