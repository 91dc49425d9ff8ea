# Owned by the config-store engineer: the SQLite wrapper, schema migrations, ConfigStore.
find_package(nlohmann_json REQUIRED)
target_sources(arkmq_storage PRIVATE sqlite.cpp migrations.cpp config_store.cpp
               config_store_sql.cpp config_store_changes.cpp config_store_rules.cpp
               config_store_quotas.cpp)
target_link_libraries(arkmq_storage PRIVATE nlohmann_json::nlohmann_json)
if(ARKMQ_TESTS)
  target_sources(arkmq_storage_test PRIVATE sqlite_test.cpp migrations_test.cpp
                 config_store_test.cpp config_store_file_test.cpp
                 config_store_quota_test.cpp)
  target_link_libraries(arkmq_storage_test PRIVATE nlohmann_json::nlohmann_json)
endif()
