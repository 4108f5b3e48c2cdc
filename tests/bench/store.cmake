# store_bench: RocksStore CommitBatch throughput (owned by storage/).
# Included from tests/bench/CMakeLists.txt.
if(SW_BENCHMARKS)
  add_executable(store_bench ${CMAKE_CURRENT_LIST_DIR}/store_bench.cc)
  sw_target_warnings(store_bench)
  target_link_libraries(store_bench PRIVATE stepwise_storage_rocks benchmark::benchmark)
endif()
