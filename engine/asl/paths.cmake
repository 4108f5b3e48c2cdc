# JSONPath, intrinsic functions and payload templates (part of stepwise_asl).
target_sources(stepwise_asl PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/path.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/intrinsics.cc
)
target_link_libraries(stepwise_asl PUBLIC OpenSSL::Crypto)

sw_add_test(asl_paths_test
  SOURCES path_test.cc intrinsics_test.cc
  LIBS stepwise_asl)
