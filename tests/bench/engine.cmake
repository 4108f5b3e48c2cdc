# engine_bench: end-to-end Engine throughput on a real, synced RocksStore
# (plain program; see README.md). Included from tests/bench/CMakeLists.txt.
add_executable(engine_bench ${CMAKE_CURRENT_LIST_DIR}/engine_bench.cc)
sw_target_warnings(engine_bench)
target_link_libraries(engine_bench PRIVATE stepwise_engine stepwise_storage_rocks)
