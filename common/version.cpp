#include "common/version.hpp"

#include "common/version_info.hpp"  // generated: the one file a new commit recompiles

namespace pollchat {

std::string version_line(std::string_view program) {
  std::string line(program);
  line += ' ';
  line += version;
  line += " (commit ";
  line += build_commit;
  line += ')';
  return line;
}

}  // namespace pollchat
