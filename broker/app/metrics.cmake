# The broker's metrics (ops-metrics, docs/metrics.md): event counters, GET /metrics on the [http]
# endpoint, the same numbers under $SYS. Included from broker/app/CMakeLists.txt once
# arkmq-broker exists.
add_library(arkmq_app_metrics STATIC
  http_wiring.cpp
  listener_counters.cpp
  metrics.cpp
  metrics_render.cpp
  metrics_sys.cpp
  service_call_stats.cpp)
target_link_libraries(arkmq_app_metrics PUBLIC arkmq_app_config arkmq_core arkmq_net arkmq_http
                      arkmq_storage)
arkmq_set_warnings(arkmq_app_metrics)
target_link_libraries(arkmq-broker PRIVATE arkmq_app_metrics)

if(ARKMQ_TESTS)
  add_executable(arkmq_app_metrics_test metrics_test.cpp metrics_render_test.cpp)
  target_link_libraries(arkmq_app_metrics_test PRIVATE arkmq_app_metrics GTest::gtest_main)
  arkmq_set_warnings(arkmq_app_metrics_test)
  gtest_discover_tests(arkmq_app_metrics_test DISCOVERY_TIMEOUT 30)
endif()
