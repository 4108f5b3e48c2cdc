// Tags between the gRPC messages (v1::Tag) and the engine's (engine::Tag),
// for StatesService. Header-only, pure: any thread.
#ifndef SW_SERVER_PROTO_TAGS_H_
#define SW_SERVER_PROTO_TAGS_H_

#include <vector>

#include "engine/api_types.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "stepwise/v1/service.pb.h"

namespace stepwise::server {

inline std::vector<engine::Tag> TagsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Tag>& in) {
  std::vector<engine::Tag> out;
  out.reserve(static_cast<size_t>(in.size()));
  for (const v1::Tag& t : in) out.push_back(engine::Tag{t.key(), t.value()});
  return out;
}

inline void TagsToProto(const std::vector<engine::Tag>& in,
                        google::protobuf::RepeatedPtrField<v1::Tag>* out) {
  for (const engine::Tag& t : in) {
    v1::Tag* p = out->Add();
    p->set_key(t.key);
    p->set_value(t.value);
  }
}

}  // namespace stepwise::server

#endif  // SW_SERVER_PROTO_TAGS_H_
