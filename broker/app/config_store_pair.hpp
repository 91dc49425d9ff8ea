// For app tests: a config database in a fresh directory with two connections to it, the
// broker's and a second one playing arkmqctl. Test-only; the test's own thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "storage/config_store.hpp"

namespace arkmq::app::test {

struct ConfigStorePair {
  std::string dir;
  std::optional<storage::ConfigStore> store;  // the broker's connection
  std::optional<storage::ConfigStore> admin;  // arkmqctl's

  ConfigStorePair() = default;
  ConfigStorePair(const ConfigStorePair&) = delete;
  ConfigStorePair& operator=(const ConfigStorePair&) = delete;
  ~ConfigStorePair() { close(); }

  // Creates the directory under /tmp (`name` in its name) and opens both connections; empty on
  // success, else why not. The broker's connection has consumed the initial change.
  std::string open(const std::string& name) {
    std::string pattern = "/tmp/arkmq-" + name + "-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return "mkdtemp failed";
    dir = pattern;
    const std::string path = storage::config_db_path(dir);
    auto opened = storage::ConfigStore::open(path);
    if (!opened) return opened.error().message;
    store.emplace(std::move(*opened));
    auto admin_opened = storage::ConfigStore::open(path);
    if (!admin_opened) return admin_opened.error().message;
    admin.emplace(std::move(*admin_opened));
    (void)store->changed_since_last_check();
    return "";
  }

  // Closes both connections and removes the directory (whatever uses `store` must be gone).
  void close() {
    store.reset();
    admin.reset();
    if (dir.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    dir.clear();
  }
};

}  // namespace arkmq::app::test
