target_sources(stepwise_asl PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/choice.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/definition.cc
)
