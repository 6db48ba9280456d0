#include "store/memory/memory_store.hpp"

namespace pollchat {

std::optional<append_result> memory_store::append(const std::shared_ptr<room>& target,
                                                  message_draft draft, std::string_view key,
                                                  std::shared_ptr<append_client> /*client*/) {
  post_outcome outcome = target->post(std::move(draft), key);
  return append_result{std::move(outcome.message), outcome.repeated, false};
}

}  // namespace pollchat
