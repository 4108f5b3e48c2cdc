# Standalone, thread-safe parts the engine uses: task tokens, the in-memory
# timer queue and the activity task queue (long-poll).
add_library(stepwise_engine_parts
  ${CMAKE_CURRENT_SOURCE_DIR}/task_queue.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/task_token.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/timer_queue.cc
)
sw_target_warnings(stepwise_engine_parts)
target_link_libraries(stepwise_engine_parts
  PUBLIC stepwise_common absl::status absl::statusor Threads::Threads
  PUBLIC OpenSSL::Crypto)

sw_add_test(engine_task_token_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/task_token_test.cc
  LIBS stepwise_engine_parts)
sw_add_test(engine_timer_queue_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/timer_queue_test.cc
  LIBS stepwise_engine_parts)
sw_add_test(engine_task_queue_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/task_queue_test.cc
  LIBS stepwise_engine_parts)
