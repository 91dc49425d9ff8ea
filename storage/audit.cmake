# Owned by the audit engineer: the audit journal (events, hash chain, writer thread, reader,
# verify, retention), its tests and its benchmark.
target_sources(arkmq_storage PRIVATE audit_event.cpp audit_schema.cpp audit_appender.cpp
               audit_journal.cpp audit_reader.cpp audit_verify.cpp)
if(ARKMQ_TESTS)
  target_sources(arkmq_storage_test PRIVATE audit_event_test.cpp audit_journal_test.cpp
                 audit_reader_test.cpp audit_verify_test.cpp audit_test_support.cpp)
endif()

# The writer benchmark, only where Google Benchmark is installed.
find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(arkmq_audit_bench benchmarks/audit_bench.cpp)
  target_link_libraries(arkmq_audit_bench PRIVATE arkmq_storage benchmark::benchmark)
  arkmq_set_warnings(arkmq_audit_bench)
endif()
