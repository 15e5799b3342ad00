#pragma once
// User errors: a bad config or an impossible scenario. The CLI prints what() and exits with 2.
// Internal invariants use assert instead.
#include <stdexcept>
#include <string>

namespace fmsim {

class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A config file that does not say what fmsim needs. Names the file, the JSON pointer (RFC 6901)
// and what was expected.
class ConfigError : public UserError {
public:
    ConfigError(std::string file, std::string pointer, const std::string& message)
        : UserError(file + ": " + (pointer.empty() ? std::string("/") : pointer) + ": " + message),
          file_(std::move(file)),
          pointer_(std::move(pointer)) {}
    const std::string& file() const { return file_; }
    const std::string& pointer() const { return pointer_; }

private:
    std::string file_;
    std::string pointer_;
};

// A well-formed request that cannot be built (a phase the model has no meaning for, ...).
class ScenarioError : public UserError {
public:
    using UserError::UserError;
};

}  // namespace fmsim
