// Context: store opening (data dir creation), the actor name, output, and outcomes.
#include "tools/arkmqctl/context.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace arkmq::ctl {

namespace {

// Creates `dir` (and missing parents) when it does not exist; the directory itself gets 0700
// because it will hold the password hashes.
Outcome ensure_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    return {};
  }
  const fs::path path(dir);
  if (path.has_parent_path() && !path.parent_path().empty()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return operation_error("cannot create " + path.parent_path().string() + ": " + ec.message());
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return operation_error("cannot create data dir " + dir + ": " + std::strerror(errno));
  }
  // mkdir's mode is reduced by the umask only; make the intent explicit anyway.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return operation_error("cannot set mode 0700 on " + dir + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

std::string os_actor() {
  std::string name;
  const uid_t uid = ::geteuid();
  if (const passwd* entry = ::getpwuid(uid); entry != nullptr && entry->pw_name != nullptr) {
    name = entry->pw_name;
  } else {
    name = "uid " + std::to_string(uid);
  }
  if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') {
    name += " (sudo by " + std::string(sudo) + ")";
  }
  return name;
}

Context::Context() : actor_(os_actor()) {}
Context::~Context() = default;

tl::expected<storage::ConfigStore*, Failure> Context::store() {
  if (store_) {
    return &*store_;
  }
  if (data_dir.empty()) {
    return usage_error("the data dir is empty (use --data-dir or $ARKMQ_DATA_DIR)");
  }
  if (auto made = ensure_data_dir(data_dir); !made) {
    return tl::unexpected(made.error());
  }
  auto opened = storage::ConfigStore::open(storage::config_db_path(data_dir),
                                           storage::ConfigStore::Mode::read_write);
  if (!opened) {
    return store_error(opened.error());
  }
  store_.emplace(std::move(*opened));
  return &*store_;
}

storage::ChangeContext Context::change(std::string command) const {
  return storage::ChangeContext{actor_, std::move(command)};
}

void Context::emit(const std::string& text, const nlohmann::json& json_value) const {
  if (json) {
    // Replace rather than throw on bytes that are not UTF-8 (they cannot come from validated
    // input, but a hand-edited database could hold them).
    std::cout << json_value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  } else {
    std::cout << text;
    if (!text.empty() && text.back() != '\n') {
      std::cout << '\n';
    }
  }
  std::cout.flush();
}

void Context::warn(const std::string& message) const {
  std::cerr << "arkmqctl: warning: " << message << std::endl;
}

void Context::on_run(CLI::App* command, std::function<Outcome()> run) {
  command->callback([this, run = std::move(run)] { outcome_ = run(); });
}

int Context::finish() const {
  if (!outcome_) {
    // CLI11's require_subcommand makes this unreachable; keep a clear message anyway.
    std::cerr << "arkmqctl: no command given (see --help)" << std::endl;
    return kExitUsage;
  }
  if (!*outcome_) {
    std::cerr << "arkmqctl: " << outcome_->error().message << std::endl;
    return outcome_->error().exit_code;
  }
  return 0;
}

}  // namespace arkmq::ctl
