# Authorization: rules compiled into a topic trie, service grants compiled into $svc rules.
# Paths are relative to this file so the list can be included from anywhere.
set(_acl_policy_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(arkmq_acl PRIVATE
  ${_acl_policy_dir}/model.cpp
  ${_acl_policy_dir}/policy.cpp
  ${_acl_policy_dir}/rule_trie.cpp
  ${_acl_policy_dir}/client_glob.cpp
  ${_acl_policy_dir}/service_topics.cpp
)
if(ARKMQ_TESTS)
  target_sources(arkmq_acl_test PRIVATE
    ${_acl_policy_dir}/policy_test.cpp
    ${_acl_policy_dir}/policy_substitution_test.cpp
    ${_acl_policy_dir}/policy_subscribe_test.cpp
    ${_acl_policy_dir}/policy_reference_test.cpp
    ${_acl_policy_dir}/client_glob_test.cpp
    ${_acl_policy_dir}/service_topics_test.cpp
  )
endif()

# Google Benchmark of check() over 10,000 rules; only where the library is installed.
find_package(benchmark QUIET)
if(benchmark_FOUND)
  add_executable(arkmq_acl_bench ${_acl_policy_dir}/benchmarks/policy_bench.cpp)
  target_link_libraries(arkmq_acl_bench PRIVATE arkmq_acl benchmark::benchmark)
  arkmq_set_warnings(arkmq_acl_bench)
endif()
