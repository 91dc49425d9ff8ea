// The status page's static files (broker/app/status_page/), embedded at build time by CMake
// (status_page.cmake writes status_assets.cpp from status_assets.cpp.in). Immutable; any thread.
// Owner: ops-status.
#pragma once

#include <string_view>

namespace arkmq::app {

std::string_view status_index_html();
std::string_view status_script();
std::string_view status_stylesheet();

}  // namespace arkmq::app
