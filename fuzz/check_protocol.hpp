#pragma once
/// @file fuzz/check_protocol.hpp
/// fuzz_protocol's check: bytes as request lines to serve_requests against a
/// loaded, mutable benchmark (simulate_train_eval and reset_time answer);
/// every line gets exactly one reply, each valid UTF-8 JSON holding either
/// "result" or "error": {"type", "message"}, and no error message is that of
/// an exception other than nasbench::Error (answer_request turns those into
/// replies too, which would hide a bug such as an unchecked nlohmann access).
/// fuzz_protocol picks one of several benchmarks by the first byte
/// (protocol_target()).

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

/// Which benchmark fuzz_protocol answers `data` with: a first byte 0x01..0x03
/// picks one of the NATS-Bench fixtures (and is not part of the requests),
/// anything else the tiny NAS-Bench-201 file (target 0, the whole input).
inline constexpr int kProtocolTargets = 4;
inline int protocol_target(const std::uint8_t* data, std::size_t size) {
  return size > 0 && data[0] >= 1 && data[0] < kProtocolTargets ? data[0] : 0;
}
/// The fixture files of the targets, relative to the fixture directory that
/// holds bench/ and nats/ (tests/fixtures/make_bench_fixtures.py,
/// make_nats_fixtures.py); `fast` for create(path, space, fast_mode=true).
struct ProtocolTarget {
  const char* path;
  const char* space;  // nullptr: load_api; else create(path, space, fast)
  bool fast;
};
inline constexpr ProtocolTarget kProtocolTargetFiles[kProtocolTargets] = {
    {"bench/tiny.pth", nullptr, false},           // NAS-Bench-201 semantics, topology
    {"nats/sss.pickle.pbz2", "sss", false},       // NATS-Bench size space, one file
    {"nats/tss_corrupt_dir", "tss", true},        // fast mode: lazy files, one truncated
    {"nats/sss_missing_dir", "sss", true},        // fast mode: one file missing
};

/// How many replies serve_requests owes `text`: one per '\n', and one for a
/// last line without it.
inline std::size_t expected_replies(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

/// Texts in an error message that come from an exception other than
/// nasbench::Error (the library's, nlohmann's or the standard library's),
/// unless the request itself holds them (messages quote what they reject).
inline constexpr const char* kForeignErrorMarks[] = {
    "[json.exception.type_error", "[json.exception.out_of_range", "[json.exception.invalid_iterator",
    "[json.exception.other_error", "unexpected exception", "basic_string", "vector::", "map::at", "stoi", "stol",
    "stod", "bad_optional_access", "bad_variant_access", "bad_function_call", "std::"};

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
  const std::string& message = e["message"].get_ref<const std::string&>();
  const bool invalid_json = message.rfind("nasbench: invalid JSON: ", 0) == 0;  // nlohmann's parse errors, by design
  for (const char* mark : kForeignErrorMarks)
    if (!invalid_json && message.find(mark) != std::string::npos && request.find(mark) == std::string_view::npos)
      fail(std::string("the message holds \"") + mark + "\": an exception other than nasbench::Error reached the reply");
}

/// Violation unless serve_requests answers every line of `data` with one valid
/// reply. `api` is mutable (simulate_train_eval, reset_time): its used_time
/// is reset first, so that one input gives the same replies every time.
template <typename Real>
void check_protocol(nasbench::BasicAPI<Real>& api, const std::uint8_t* data, std::size_t size) {
  api.reset_time();
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
