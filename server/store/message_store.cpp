#include "store/message_store.hpp"

#include "core/server_state.hpp"
#include "store/memory/memory_store.hpp"

namespace pollchat {

message_store& store_of(server_state& state) {
  // The memory store holds nothing of its own, so one instance serves every server (and the
  // router tests, which build a server_state without a server around it).
  static memory_store memory;
  return state.store != nullptr ? *state.store : memory;
}

void emit(message_store& store, const std::shared_ptr<room>& target, message_draft draft) {
  store.append(target, std::move(draft), {}, nullptr);
}

}  // namespace pollchat
