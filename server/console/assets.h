// The web console's static files (index.html, app.js, app.css), embedded
// into stepwised at build time by embed_assets.cmake so the console needs
// nothing but the binary. Thread-safe.
#ifndef SW_SERVER_CONSOLE_ASSETS_H_
#define SW_SERVER_CONSOLE_ASSETS_H_

#include <optional>
#include <string_view>

namespace stepwise::server::console {

struct Asset {
  const char* content_type;
  std::string_view data;
};

// Returns the embedded file `name` (e.g. "app.js"), or nullopt.
std::optional<Asset> FindAsset(std::string_view name);

}  // namespace stepwise::server::console

#endif  // SW_SERVER_CONSOLE_ASSETS_H_
