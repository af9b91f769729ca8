#include "cli/record_format.h"

#include <string>

namespace wharf::cli {
namespace {

constexpr std::string_view kCodes = "tpokvsThKS%";

}  // namespace

std::optional<std::string> check_record_format(std::string_view format) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 == format.size() || kCodes.find(format[i + 1]) == std::string_view::npos)
      return "unknown format code '%" + std::string(format.substr(i + 1, 1)) +
             "'; use %t %p %o %k %v %T %h %K %S or %%";
    ++i;
  }
  return std::nullopt;
}

void format_record(std::string_view format, const ConsumerRecord& r, std::string* out) {
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '\\' && i + 1 < format.size()) {
      const char e = format[++i];
      out->push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
      continue;
    }
    if (c != '%' || i + 1 == format.size()) {
      out->push_back(c);
      continue;
    }
    switch (format[++i]) {
      case 't': out->append(r.topic); break;
      case 'p': out->append(std::to_string(r.partition)); break;
      case 'o': out->append(std::to_string(r.offset)); break;
      case 'k': if (r.key) out->append(*r.key); break;
      case 'v':
      case 's': out->append(r.value); break;
      case 'T': out->append(std::to_string(r.timestamp_ms)); break;
      case 'K': out->append(r.key ? std::to_string(r.key->size()) : "-1"); break;
      case 'S': out->append(std::to_string(r.value.size())); break;
      case 'h': {
        bool first = true;
        for (const auto& h : r.headers()) {
          if (!first) out->push_back(',');
          first = false;
          out->append(h.key).push_back('=');
          out->append(h.value);
        }
        break;
      }
      default: out->push_back(format[i]); break;  // %%
    }
  }
}

}  // namespace wharf::cli
