// Makes the Backend a service's backend URL asks for. Startup only.
#pragma once

#include <memory>
#include <string>

#include "edge-client/backend.hpp"
#include "edge-client/edge_config.hpp"

namespace arkmq::edge {

std::unique_ptr<Backend> make_backend(const ServiceConfig& service, const std::string& node);

}  // namespace arkmq::edge
