# The status page (ops-status, docs/status-page.md): GET /, /status.js, /status.css and
# /api/status on the broker's HTTP endpoint. The page's files stay real files under status_page/
# and are embedded at build time: status_assets.cpp is generated from status_assets.cpp.in, and
# editing one of them re-runs the configure step.
# Included from broker/app/CMakeLists.txt once arkmq-broker exists.
if(TARGET arkmq_http)
  find_package(nlohmann_json REQUIRED)
  set(arkmq_status_assets
    ${CMAKE_CURRENT_SOURCE_DIR}/status_page/index.html
    ${CMAKE_CURRENT_SOURCE_DIR}/status_page/status.js
    ${CMAKE_CURRENT_SOURCE_DIR}/status_page/status.css)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${arkmq_status_assets})
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/status_page/index.html ARKMQ_STATUS_INDEX_HTML)
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/status_page/status.js ARKMQ_STATUS_JS)
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/status_page/status.css ARKMQ_STATUS_CSS)
  foreach(asset ARKMQ_STATUS_INDEX_HTML ARKMQ_STATUS_JS ARKMQ_STATUS_CSS)
    string(FIND "${${asset}}" ")arkmq_asset\"" arkmq_status_clash)
    if(NOT arkmq_status_clash EQUAL -1)
      message(FATAL_ERROR "status page: ${asset} contains the raw string delimiter )arkmq_asset\"")
    endif()
  endforeach()
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/status_assets.cpp.in
                 ${CMAKE_CURRENT_BINARY_DIR}/status_assets.cpp @ONLY)

  add_library(arkmq_app_status STATIC
    status_events.cpp
    status_rates.cpp
    status_json.cpp
    status_page.cpp
    ${CMAKE_CURRENT_BINARY_DIR}/status_assets.cpp)
  target_link_libraries(arkmq_app_status PUBLIC arkmq_core arkmq_http
                        PRIVATE nlohmann_json::nlohmann_json)
  arkmq_set_warnings(arkmq_app_status)
  target_link_libraries(arkmq-broker PRIVATE arkmq_app_status)

  if(ARKMQ_TESTS)
    add_executable(arkmq_app_status_test status_page_test.cpp)
    target_link_libraries(arkmq_app_status_test PRIVATE arkmq_app_status
                          nlohmann_json::nlohmann_json GTest::gtest_main)
    arkmq_set_warnings(arkmq_app_status_test)
    gtest_discover_tests(arkmq_app_status_test DISCOVERY_TIMEOUT 30)
  endif()
else()
  message(STATUS "status page skipped: arkmq_http is not part of this build yet")
endif()
