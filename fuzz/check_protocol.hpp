#pragma once
/// @file fuzz/check_protocol.hpp
/// fuzz_protocol's check: bytes as request lines to serve_requests against a
/// loaded benchmark; every line gets exactly one reply, each valid UTF-8 JSON
/// holding either "result" or "error": {"type", "message"}.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "nasbench/json/protocol.hpp"
#include "support.hpp"

namespace nasbench_fuzz {

/// The line limit the check passes to serve_requests: small, so that the
/// fuzzer reaches the long-line path with short inputs.
inline constexpr std::size_t kProtocolLineLimit = 1024;

/// How many replies serve_requests owes `text`: one per '\n', and one for a
/// last line without it.
inline std::size_t expected_replies(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

/// Violation unless `reply` is one JSON object `{"result": V}` or `{"error": {"type": T, "message": M}}`.
inline void check_reply(const std::string& reply, std::string_view request) {
  const auto fail = [&](const std::string& why) {
    throw Violation("reply " + reply.substr(0, 300) + " to request " + std::string(request.substr(0, 300)) + ": " +
                    why);
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(reply);
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("not valid UTF-8 JSON (") + e.what() + ")");
  }
  if (!j.is_object() || j.size() != 1) fail("not an object with exactly one key");
  if (j.contains("result")) return;
  if (!j.contains("error")) fail("neither \"result\" nor \"error\"");
  const nlohmann::json& e = j["error"];
  if (!e.is_object() || !e.contains("type") || !e.contains("message") || !e["type"].is_string() ||
      !e["message"].is_string())
    fail("\"error\" is not {\"type\": str, \"message\": str}");
}

/// Violation unless serve_requests answers every line of `data` with one valid reply.
template <typename Real>
void check_protocol(const nasbench::BasicAPI<Real>& api, const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* out = ::open_memstream(&buf, &len);
  if (out == nullptr) throw std::runtime_error("open_memstream failed");
  std::istringstream in(text);
  nasbench::Random rng(0);
  std::size_t answered = 0;
  try {
    answered = nasbench::serve_requests(api, in, out, rng, kProtocolLineLimit);
  } catch (...) {
    std::fclose(out);
    std::free(buf);
    throw Violation("serve_requests threw: " + describe_current_exception());
  }
  std::fclose(out);
  const std::string replies(buf, len);
  std::free(buf);
  const std::size_t expected = expected_replies(text);
  if (answered != expected)
    throw Violation("serve_requests answered " + std::to_string(answered) + " requests of " + std::to_string(expected));
  std::size_t lines = 0, start = 0, req_start = 0;
  while (start < replies.size()) {
    const std::size_t nl = replies.find('\n', start);
    if (nl == std::string::npos) throw Violation("the last reply has no newline");
    std::size_t req_end = text.find('\n', req_start);
    if (req_end == std::string::npos) req_end = text.size();
    check_reply(replies.substr(start, nl - start), std::string_view(text).substr(req_start, req_end - req_start));
    req_start = req_end + 1;
    start = nl + 1;
    ++lines;
  }
  if (lines != expected)
    throw Violation(std::to_string(lines) + " reply lines for " + std::to_string(expected) + " request lines");
}

}  // namespace nasbench_fuzz
