// --check-config: the file's own errors, then each part resolved on its own so that one bad
// listener does not hide a bad [audit] or another listener; see config_check.hpp.
#include "broker/app/config_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "broker/net/listen_url.hpp"

namespace arkmq::app {

namespace {

// resolve_config stops at its first error: a config holding one fallible part at a time lets
// each part report its own. Listeners, [audit] and [persistence] are independent of each other.
std::vector<FileConfig> slices(const FileConfig& file, const CommandLine& flags) {
  std::vector<FileConfig> out;
  FileConfig bare = file;
  bare.listeners.clear();
  bare.audit.reset();
  bare.persistence.reset();
  if (flags.listen.empty()) {
    for (const auto& listener : file.listeners) {
      FileConfig one = bare;
      one.listeners = {listener};
      out.push_back(std::move(one));
    }
  }
  FileConfig audit = bare;
  audit.audit = file.audit;
  out.push_back(std::move(audit));
  FileConfig persistence = bare;
  persistence.persistence = file.persistence;
  out.push_back(std::move(persistence));
  return out;
}

void add_lines(std::vector<std::string>& errors, const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (std::find(errors.begin(), errors.end(), line) == errors.end()) {
      errors.push_back(line);
    }
  }
}

// The broker creates a missing data_dir (mode 0700) and writes its databases in it: the
// directory, or the nearest existing parent, must be a writable directory. Nothing is created.
std::string check_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error)) {
      return "data_dir '" + dir + "' exists and is not a directory";
    }
    if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
      return "data_dir '" + dir + "' is not writable by this user";
    }
    return "";
  }
  fs::path parent = fs::absolute(fs::path(dir), error).parent_path();
  while (!parent.empty() && !fs::exists(parent, error)) {
    if (parent == parent.parent_path()) break;
    parent = parent.parent_path();
  }
  if (!fs::is_directory(parent, error)) {
    return "data_dir '" + dir + "' cannot be created: '" + parent.string() +
           "' is not a directory";
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return "data_dir '" + dir + "' cannot be created: '" + parent.string() +
           "' is not writable by this user";
  }
  return "";
}

// Two listeners on one address and port (or one on the wildcard address of the other's family)
// would pass every other check and then fail to bind at startup. Port 0 binds a free port.
void check_listener_ports(const FileConfig& file, const CommandLine& flags,
                          std::vector<std::string>& errors) {
  if (!flags.listen.empty()) {
    return;  // the flags' listeners replace the file's; bind errors there are the operator's
  }
  struct Bound {
    net::ListenUrl url;
    const FileListener* listener;
  };
  std::vector<Bound> bound;
  for (const auto& listener : file.listeners) {
    const auto url = net::parse_listen_url(listener.url);
    if (!url || url->port == 0) {
      continue;  // a bad URL is reported by resolving it
    }
    for (const auto& other : bound) {
      const bool wildcard = url->host == "0.0.0.0" || url->host == "::" ||
                            other.url.host == "0.0.0.0" || other.url.host == "::";
      if (other.url.port == url->port && other.url.is_ipv6 == url->is_ipv6 &&
          (other.url.host == url->host || wildcard)) {
        errors.push_back(listener.where + ": listener " + listener.url + " binds the port of " +
                         other.listener->url + " (" + other.listener->where + ")");
        break;
      }
    }
    bound.push_back({*url, &listener});
  }
}

// The file's errors, then each part resolved on its own; `path` is the file read.
std::vector<std::string> collect_errors(const CommandLine& flags, const std::string& path,
                                        bool with_data_dir) {
  ParsedConfig parsed = read_config_file(path);
  std::vector<std::string> errors = parsed.errors;
  if (!parsed.file) {
    return errors;  // unreadable, or not TOML
  }
  CommandLine resolving = flags;
  resolving.check_config.reset();
  resolving.config_file = path;
  for (const FileConfig& slice : slices(*parsed.file, flags)) {
    try {
      (void)resolve_config(resolving, slice);
    } catch (const ConfigError& error) {
      add_lines(errors, error.what());
    }
  }
  check_listener_ports(*parsed.file, flags, errors);
  const std::string data_dir = flags.data_dir.value_or(parsed.file->data_dir.value_or(""));
  if (with_data_dir && !data_dir.empty()) {
    if (auto error = check_data_dir(data_dir); !error.empty()) {
      const bool from_file = !flags.data_dir && !parsed.data_dir_where.empty();
      errors.push_back((from_file ? parsed.data_dir_where + ": " : std::string()) + error);
    }
  }
  sort_by_position(errors, path);
  return errors;
}

}  // namespace

std::vector<std::string> check_config(const CommandLine& flags) {
  return collect_errors(flags, flags.check_config.value_or(""), true);
}

AppConfig load_config(const CommandLine& flags) {
  if (!flags.config_file) {
    return resolve_config(flags, std::nullopt);
  }
  ParsedConfig parsed = read_config_file(*flags.config_file);
  std::string first;
  if (parsed.errors.empty()) {
    try {
      return resolve_config(flags, parsed.file);
    } catch (const ConfigError& error) {
      first = error.what();  // there may be more: look for all of them
    }
  }
  // data_dir is created at startup; the check for it is --check-config's.
  const std::vector<std::string> errors = collect_errors(flags, *flags.config_file, false);
  if (errors.empty()) {
    throw ConfigError(first);
  }
  std::string text;
  for (const auto& error : errors) {
    text += (text.empty() ? "" : "\n") + error;
  }
  throw ConfigError(text);
}

int run_config_check(const CommandLine& flags, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> errors = check_config(flags);
  if (!errors.empty()) {
    for (const auto& error : errors) {
      err << error << "\n";
    }
    err << flags.check_config.value_or("") << ": " << errors.size()
        << (errors.size() == 1 ? " error" : " errors") << std::endl;
    return 1;
  }
  out << flags.check_config.value_or("") << ": configuration OK" << std::endl;
  return 0;
}

void print_config_error(std::ostream& err, const ConfigError& error) {
  std::istringstream in(error.what());
  for (std::string line; std::getline(in, line);) {
    err << "arkmq-broker: config error: " << line << "\n";
  }
  err.flush();
}

}  // namespace arkmq::app
