# The open-file limit raised at startup (bench engineer, issue 7: 100,000 idle connections).
# Included from broker/app/CMakeLists.txt once arkmq-broker exists.
add_library(arkmq_app_fd_limit STATIC fd_limit.cpp)
target_link_libraries(arkmq_app_fd_limit PUBLIC arkmq_app_config)
arkmq_set_warnings(arkmq_app_fd_limit)
target_link_libraries(arkmq-broker PRIVATE arkmq_app_fd_limit)

if(ARKMQ_TESTS)
  add_executable(arkmq_app_fd_limit_test fd_limit_test.cpp)
  target_link_libraries(arkmq_app_fd_limit_test PRIVATE arkmq_app_fd_limit GTest::gtest_main)
  arkmq_set_warnings(arkmq_app_fd_limit_test)
  gtest_discover_tests(arkmq_app_fd_limit_test DISCOVERY_TIMEOUT 30)
endif()
