# Identity (issue 3): password hashes, the verified-login cache, client-id binding, the Authority.
# Paths are relative to this file so the list can be included from anywhere.
set(_acl_identity_dir ${CMAKE_CURRENT_LIST_DIR})
target_sources(arkmq_acl PRIVATE
  ${_acl_identity_dir}/password_hash.cpp
  ${_acl_identity_dir}/login_cache.cpp
  ${_acl_identity_dir}/client_id_binding.cpp
  ${_acl_identity_dir}/rule_substitution.cpp
  ${_acl_identity_dir}/authority.cpp
  ${_acl_identity_dir}/decision_cache.cpp
)
if(ARKMQ_TESTS)
  target_sources(arkmq_acl_test PRIVATE
    ${_acl_identity_dir}/password_hash_test.cpp
    ${_acl_identity_dir}/client_id_binding_test.cpp
    ${_acl_identity_dir}/login_cache_test.cpp
    ${_acl_identity_dir}/authority_login_test.cpp
    ${_acl_identity_dir}/authority_test.cpp
    ${_acl_identity_dir}/decision_cache_test.cpp
  )
endif()
