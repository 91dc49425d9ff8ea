# Owned by the durable-store engineer: <data_dir>/state.db (sessions, subscriptions, messages
# owed to sessions, inbound QoS 2 ids, retained messages), its writer thread, tests, benchmark.
target_sources(arkmq_storage PRIVATE state_schema.cpp state_writer.cpp state_store.cpp)
if(ARKMQ_TESTS)
  target_sources(arkmq_storage_test PRIVATE state_store_test.cpp)
endif()

find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(arkmq_state_bench benchmarks/state_bench.cpp)
  target_link_libraries(arkmq_state_bench PRIVATE arkmq_storage benchmark::benchmark)
  arkmq_set_warnings(arkmq_state_bench)
endif()
