// The config file's reading helpers: typed values with FILE:LINE:COL errors, and tables read key
// by key where a bad key is recorded and the next one still read (every error at once).
// Internal to broker/app's config readers (config_file.cpp, log_http_config.cpp). Main thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "broker/app/app_config.hpp"

namespace arkmq::app {

class ConfigReader {
 public:
  ConfigReader(std::string source, std::vector<std::string>& errors)
      : source_(std::move(source)), errors_(&errors) {}

  void report(std::string message) const { errors_->push_back(std::move(message)); }

  // Runs `step`; a ConfigError it throws is recorded and reading goes on with the next step.
  template <class Step>
  void attempt(Step&& step) const {
    try {
      step();
    } catch (const ConfigError& error) {
      errors_->emplace_back(error.what());
    }
  }

  std::string where(const toml::node& node) const {
    const auto& begin = node.source().begin;
    return source_ + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
  }

  std::string where(const toml::key& key) const {
    const auto& begin = key.source().begin;
    return source_ + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
  }

  [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
    throw ConfigError(where(node) + ": " + message);
  }

  [[noreturn]] void fail(const toml::key& key, const std::string& message) const {
    throw ConfigError(where(key) + ": " + message);
  }

  template <class Int>
  Int integer(const toml::node& node, std::string_view key, std::int64_t min,
              std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    const auto value = node.value_exact<std::int64_t>();
    if (!value) {
      fail(node, "'" + std::string(key) + "' must be an integer");
    }
    if (*value < min || *value > max) {
      fail(node, "'" + std::string(key) + "' must be between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", not " + std::to_string(*value));
    }
    return static_cast<Int>(*value);
  }

  bool boolean(const toml::node& node, std::string_view key) const {
    const auto value = node.value_exact<bool>();
    if (!value) {
      fail(node, "'" + std::string(key) + "' must be true or false");
    }
    return *value;
  }

  std::string string(const toml::node& node, std::string_view key) const {
    const auto value = node.value_exact<std::string>();
    if (!value) {
      fail(node, "'" + std::string(key) + "' must be a string");
    }
    return *value;
  }

 private:
  std::string source_;
  std::vector<std::string>* errors_;
};

using KeyHandler = std::function<void(const toml::node&)>;

inline void read_table(const ConfigReader& reader, const toml::table& table,
                const std::map<std::string, KeyHandler, std::less<>>& handlers,
                std::string_view context) {
  for (auto&& [key, node] : table) {
    reader.attempt([&, &key = key, &node = node] {
      const auto handler = handlers.find(key.str());
      if (handler == handlers.end()) {
        reader.fail(key, "unknown key '" + std::string(key.str()) + "'" + std::string(context));
      }
      handler->second(node);
    });
  }
}

}  // namespace arkmq::app
