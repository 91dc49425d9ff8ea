# Flow control (issue 5): the quota model and its resolution (user > roles > default).
# Paths are relative to this file so the list can be included from anywhere.
set(_acl_quota_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(arkmq_acl PRIVATE ${_acl_quota_dir}/quota.cpp)
if(ARKMQ_TESTS)
  target_sources(arkmq_acl_test PRIVATE ${_acl_quota_dir}/quota_test.cpp)
endif()
