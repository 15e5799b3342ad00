#include "fmsim/workloads/schema.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace fmsim::workloads {

std::string json_type_name(const json& j) {
    if (j.is_null()) return "null";
    if (j.is_boolean()) return std::string("boolean ") + (j.get<bool>() ? "true" : "false");
    if (j.is_number()) return "number " + j.dump();
    if (j.is_string()) return "string " + j.dump();
    if (j.is_array()) return "an array";
    return "an object";
}

namespace {
std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}
}  // namespace

std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates) {
    // A name that begins with what was typed, or that it begins with ('h100' -> 'h100-sxm',
    // 'batchsize' -> 'batch'), is the likelier slip; then the closest spelling.
    std::string best;
    for (const auto& c : candidates)
        if (key.size() >= 3 && (c.starts_with(key) || key.starts_with(c)) && (best.empty() || c.size() < best.size()))
            best = c;
    if (!best.empty()) return best;
    std::size_t best_d = std::max<std::size_t>(2, key.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(key, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

bool path_exists(const std::filesystem::path& p) noexcept {
    std::error_code ec;
    return std::filesystem::exists(p, ec);
}
bool regular_file_exists(const std::filesystem::path& p) noexcept {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec);
}
bool directory_exists(const std::filesystem::path& p) noexcept {
    std::error_code ec;
    return std::filesystem::is_directory(p, ec);
}

json read_json_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path.string(), "", "cannot open the file");
    try {
        return json::parse(in);
    } catch (const json::parse_error& e) {
        throw ConfigError(path.string(), "", std::string("invalid JSON: ") + e.what());
    }
}

std::vector<std::string> json_file_stems(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    if (!directory_exists(dir)) return names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::filesystem::path preset_path(const std::string& name_or_path, const std::filesystem::path& dir,
                                  const std::string& what, const std::string& listing, const std::string& tail) {
    const std::filesystem::path given = name_or_path;
    if (name_or_path.find('/') != std::string::npos || given.extension() == ".json") return given;
    const auto path = dir / (name_or_path + ".json");
    if (path_exists(path)) return path;
    const auto names = json_file_stems(dir);
    const std::string hint = did_you_mean(name_or_path, names);
    // The near ones: names sharing the typed prefix first, then by spelling distance.
    auto distance = [&](const std::string& n) {
        const bool prefix = n.starts_with(name_or_path.substr(0, std::min<std::size_t>(3, name_or_path.size())));
        return std::pair{prefix ? 0 : 1, edit_distance(name_or_path, n)};
    };
    std::vector<std::string> near = names;
    std::stable_sort(near.begin(), near.end(), [&](const auto& a, const auto& b) { return distance(a) < distance(b); });
    if (near.size() > 5) near.resize(5);
    std::string list;
    for (const auto& n : near) list += (list.empty() ? "" : ", ") + n;
    throw UserError("unknown " + what + " '" + name_or_path + "'" +
                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; the nearest " + listing + " (of " +
                    std::to_string(names.size()) + "): " + list + tail);
}

namespace schema_detail {

std::int64_t read_int(const json& j, const ConfigContext& at, std::int64_t min, std::int64_t max) {
    // The message names the bound that is broken (a wrong type breaks the lower one's promise).
    const std::string at_least = "expected an integer >= " + std::to_string(min);
    const auto too_large = [&](const std::string& got) {
        at.fail("expected an integer <= " + std::to_string(max) + ", got " + got +
                (max == kMaxConfigInteger ? " (no real model or run has this size)" : ""));
    };
    const bool integral = j.is_number_integer() || (j.is_number_float() && std::floor(j.get<double>()) == j.get<double>());
    if (!integral) at.fail(at_least + ", got " + json_type_name(j));
    // Compared before any conversion: a float past int64 (1e300) or an unsigned past it (2^63)
    // has no int64 value.
    if (j.is_number_unsigned() ? j.get<std::uint64_t>() > static_cast<std::uint64_t>(max)
                               : j.get<double>() > static_cast<double>(max))
        too_large(j.dump());
    const auto v = j.is_number_float() ? static_cast<std::int64_t>(j.get<double>()) : j.get<std::int64_t>();
    if (v < min) at.fail(at_least + ", got " + std::to_string(v));
    return v;
}

namespace {
std::string number_text(double v) {
    std::ostringstream os;
    os << v;  // shortest natural form: 1, 0.005, 1e+09
    return os.str();
}
}  // namespace

double read_number(const json& j, const ConfigContext& at, double min) {
    if (!j.is_number()) at.fail("expected a number >= " + number_text(min) + ", got " + json_type_name(j));
    const double v = j.get<double>();
    if (!(v >= min)) at.fail("expected a number >= " + number_text(min) + ", got " + number_text(v));
    return v;
}

void read_dtype_numbers(std::map<DType, double>& out, const json& j, const ConfigContext& at, const std::string& per) {
    if (!j.is_object() || j.empty())
        at.fail("expected an object from dtype (" + math_dtype_names() + ") to " + per + ", got " + json_type_name(j));
    out.clear();
    for (auto it = j.begin(); it != j.end(); ++it) {
        const auto d = parse_math_dtype(it.key());
        if (!d) at.at(it.key()).fail("unknown dtype; expected one of " + math_dtype_names());
        out[*d] = read_number(it.value(), at.at(it.key()), 0);
    }
}

double read_fraction(const json& j, const ConfigContext& at) {
    if (!j.is_number()) at.fail("expected a fraction in (0, 1], got " + json_type_name(j));
    const double v = j.get<double>();
    if (!(v > 0 && v <= 1)) at.fail("expected a fraction in (0, 1], got " + number_text(v));
    return v;
}

double read_probability(const json& j, const ConfigContext& at) {
    if (!j.is_number()) at.fail("expected a probability in [0, 1), got " + json_type_name(j));
    const double v = j.get<double>();
    if (!(v >= 0 && v < 1)) at.fail("expected a probability in [0, 1), got " + number_text(v));
    return v;
}

bool read_bool(const json& j, const ConfigContext& at) {
    if (!j.is_boolean()) at.fail("expected true or false, got " + json_type_name(j));
    return j.get<bool>();
}

std::map<std::string, std::string> read_sources(const json& j, const ConfigContext& at) {
    if (!j.is_object() || j.empty()) at.fail("expected an object from field to source, got " + json_type_name(j));
    std::map<std::string, std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it.value().is_string()) at.at(it.key()).fail("expected a string, got " + json_type_name(it.value()));
        out[it.key()] = it.value().get<std::string>();
    }
    return out;
}

std::string list_text(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + ("\"" + s + "\"");
    return out;
}

std::string read_choice(const json& j, const ConfigContext& at, const std::vector<std::string>& allowed) {
    if (!j.is_string()) at.fail("expected one of " + list_text(allowed) + ", got " + json_type_name(j));
    const auto s = j.get<std::string>();
    if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
        at.fail("expected one of " + list_text(allowed) + ", got \"" + s + "\"");
    return s;
}

void for_each_in_list(const json& j, const ConfigContext& at, const std::string& what, bool non_empty,
                      const std::function<void(const json&, const ConfigContext&)>& each) {
    if (!j.is_array() || (non_empty && j.empty()))
        at.fail("expected a " + std::string(non_empty ? "non-empty " : "") + "list of " + what + ", got " +
                json_type_name(j));
    for (std::size_t i = 0; i < j.size(); ++i) each(j[i], at.at(std::to_string(i)));
}

std::vector<std::int64_t> read_int_list(const json& j, const ConfigContext& at, std::int64_t min, std::int64_t max) {
    std::vector<std::int64_t> out;
    for_each_in_list(j, at, "integers", true,
                     [&](const json& v, const ConfigContext& here) { out.push_back(read_int(v, here, min, max)); });
    return out;
}

std::vector<std::int64_t> read_size_pair(const json& j, const ConfigContext& at) {
    if (j.is_number()) {
        const std::int64_t v = read_int(j, at, 1);
        return {v, v};
    }
    if (j.is_array() && j.size() == 2) return read_int_list(j, at, 1);
    at.fail("expected a positive integer or a list [height, width] of two, got " + json_type_name(j));
}

std::string read_architecture(const json& j, const ConfigContext& at, const std::vector<std::string>& allowed) {
    if (!j.is_array() || j.empty() || !j.front().is_string())
        at.fail("expected a list of Hugging Face class names, got " + json_type_name(j));
    const auto name = j.front().get<std::string>();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::string list;
        for (std::size_t i = 0; i < allowed.size(); ++i)
            list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
        at.at("0").fail("expected " + list + ", got \"" + name + "\" (its head is not modelled)");
    }
    return name;
}

}  // namespace schema_detail
}  // namespace fmsim::workloads
