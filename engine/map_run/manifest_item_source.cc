// The MANIFEST ItemSource (S3 inventory manifests): not built yet; every
// read fails with a cause saying so. See README.md.
#include "engine/map_run/item_sources_internal.h"

namespace stepwise::engine::map_run {
namespace {

class ManifestItemSource : public ItemSource {
 public:
  absl::Status Next(std::vector<json::value>*, size_t) override {
    return absl::UnimplementedError("ItemReader.ReaderConfig.InputType MANIFEST is not supported yet");
  }
  ItemSourcePosition Position() const override { return position_; }
  absl::Status Seek(const ItemSourcePosition& position) override {
    position_ = position;
    return absl::OkStatus();
  }
  size_t PeakBufferedBytes() const override { return 0; }

 private:
  ItemSourcePosition position_;
};

}  // namespace

std::unique_ptr<ItemSource> NewManifestItemSource(const ItemReaderConfig&, S3Objects*,
                                                  const ItemSourceOptions&) {
  return std::make_unique<ManifestItemSource>();
}

}  // namespace stepwise::engine::map_run
