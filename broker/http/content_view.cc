#include "broker/http/content_view.h"

namespace wharf::http {

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++p;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) <= n) return false;
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and values past Unicode are not UTF-8.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

namespace {

// Cuts at most kMaxShownBytes without splitting a UTF-8 sequence.
std::string_view cap_text(std::string_view s) {
  if (s.size() <= kMaxShownBytes) return s;
  std::size_t n = kMaxShownBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
  }
  return out;
}

bool looks_like_json_document(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';
  }
  return false;
}

}  // namespace

nlohmann::json content_view(std::string_view bytes) {
  nlohmann::json out;
  out["size"] = bytes.size();
  bool truncated = false;
  if (!valid_utf8(bytes)) {
    // Two digits a byte: half as many bytes fit.
    truncated = bytes.size() > kMaxShownBytes / 2;
    out["format"] = "hex";
    out["text"] = hex(bytes.substr(0, kMaxShownBytes / 2));
  } else {
    truncated = bytes.size() > kMaxShownBytes;
    if (!truncated && looks_like_json_document(bytes)) {
      // Keys stay in the order they were written: a reader compares what
      // they see with what they sent.
      auto doc = nlohmann::ordered_json::parse(bytes, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_discarded()) {
        std::string pretty = doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        if (pretty.size() <= kMaxShownBytes) {
          out["format"] = "json";
          out["text"] = std::move(pretty);
          out["raw"] = std::string(bytes);
          return out;
        }
      }
    }
    out["format"] = "text";
    out["text"] = std::string(cap_text(bytes));
  }
  if (truncated) out["truncated"] = true;
  return out;
}

}  // namespace wharf::http
