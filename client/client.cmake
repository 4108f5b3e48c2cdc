# stepwise_client: the C++ client library (Client, ActivityWorker) over the
# gRPC API. Only when the API protos are built.
if(TARGET stepwise_proto)
  add_library(stepwise_client
    ${CMAKE_CURRENT_SOURCE_DIR}/client.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/activity_worker.cc)
  sw_target_warnings(stepwise_client)
  target_link_libraries(stepwise_client PUBLIC
    stepwise_proto stepwise_common absl::time absl::synchronization Threads::Threads)
endif()
