#pragma once
// The in-memory store: nothing is durable beyond the process, so a message is "stored" the
// moment the room numbers it. append() runs room::post() inline and answers at once: the hot
// path of the in-memory server is what it was before the seam (no thread hop, no allocation
// beyond the message). Stateless, so one instance serves every server.

#include "store/message_store.hpp"

namespace pollchat {

class memory_store final : public message_store {
 public:
  std::optional<append_result> append(const std::shared_ptr<room>& target, message_draft draft,
                                      std::string_view key,
                                      std::shared_ptr<append_client> client) override;
  bool answers_inline() const override { return true; }
};

}  // namespace pollchat
