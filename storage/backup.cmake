# Owned by ops-package: online backup of the SQLite files (sqlite3_backup_*), used by
# `arkmqctl backup`.
target_sources(arkmq_storage PRIVATE backup.cpp)
if(ARKMQ_TESTS)
  target_sources(arkmq_storage_test PRIVATE backup_test.cpp)
endif()
