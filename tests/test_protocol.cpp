// Tests of protocol.hpp: the request protocol of `nasbench query` answers
// every line with exactly one valid UTF-8 JSON reply, whatever bytes it holds.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "nasbench/nasbench.hpp"
#include "support.hpp"

using nlohmann::json;

namespace {

const nasbench::NASBench201API& tiny_api() {
  static const auto api = [] {
    const std::string path = nasbench_test::bench_fixtures() + "/tiny.pth";
    REQUIRE(std::filesystem::exists(path));
    return nasbench::NASBench201API::load(path);
  }();
  return api;
}

// The reply to one line, parsed back (which fails on invalid UTF-8).
json reply_to(std::string_view line) {
  nasbench::Random rng(0);
  const std::string text = nasbench::answer_line(tiny_api(), line, rng);
  INFO(text);
  REQUIRE(text.find('\n') == std::string::npos);
  return json::parse(text);  // throws on invalid UTF-8
}

std::string error_type(const json& reply) { return reply.at("error").at("type").get<std::string>(); }
std::string error_message(const json& reply) { return reply.at("error").at("message").get<std::string>(); }

std::string nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("protocol: bytes that are not UTF-8 are quoted as \\xNN in the reply", "[protocol]") {
  using nasbench::detail::escape_invalid_utf8;
  CHECK(escape_invalid_utf8("plain") == "plain");
  CHECK(escape_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(escape_invalid_utf8("arch\xFF") == "arch\\xFF");
  CHECK(escape_invalid_utf8("\xFF\xFE") == "\\xFF\\xFE");
  CHECK(escape_invalid_utf8("\xE2\x82") == "\\xE2\\x82");          // a character cut in half
  CHECK(escape_invalid_utf8("\xC0\xAF") == "\\xC0\\xAF");          // overlong
  CHECK(escape_invalid_utf8("\xED\xA0\x80") == "\\xED\\xA0\\x80");  // a surrogate
  CHECK(escape_invalid_utf8("\xF4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // beyond U+10FFFF

  for (const std::string line : {std::string("{\"fn\":\"arch\xFF\",\"args\":{}}"), std::string("\xFF\xFE"),
                                 std::string("{\"fn\":\"arch\",\"args\":{\"index\":\"\xE2\x82\"}}")}) {
    const json r = reply_to(line);
    CHECK(error_type(r) == "RequestError");
    CHECK(error_message(r).find("invalid JSON") != std::string::npos);
    CHECK(error_message(r).find("\\x") != std::string::npos);
  }
  // The parse error quotes what it read last: at most 300 bytes of it.
  const json r = reply_to("{\"fn\":\"" + std::string(100000, 'a') + "\xFF\"}");
  CHECK(error_type(r) == "RequestError");
  CHECK(error_message(r).size() < 400);
}

TEST_CASE("protocol: malformed lines are RequestErrors that name what is wrong", "[protocol]") {
  struct Case {
    std::string line, type, message;
  };
  const std::vector<Case> cases{
      {std::string("{\"fn\":\"len\",\"args\":{}}\0garbage", 30), "RequestError", "NUL byte at column 23"},
      {"", "RequestError", "empty request line"},
      {" \t ", "RequestError", "empty request line"},
      {R"({"fn":"len","fn":"arch","args":{}})", "RequestError", "duplicate key \"fn\""},
      {R"({"fn":"arch","args":{"index":1,"index":2}})", "RequestError", "duplicate key \"index\""},
      {R"({"fn":"arch","args":{"index":1e999}})", "RequestError", "number overflow parsing '1e999'"},
      {R"({"fn":"find_best","args":{"dataset":"cifar10","metric_on_set":"test","FLOP_max":-1e999}})", "RequestError",
       "number overflow"},
      {R"({"fn":"arch","args":{"index":)" + nested(100000) + "}}", "RequestError", "nested deeper than 64 levels"},
      {R"({"fn":"arch","args":{"index":)" + nested(62) + "}}", "RequestError", "must be an integer, got [[[["},
  };
  for (const auto& c : cases) {
    INFO(c.line.substr(0, 80));
    const json r = reply_to(c.line);
    CHECK(error_type(r) == c.type);
    CHECK_THAT(error_message(r), Catch::Contains(c.message));
  }
  // An argument value is quoted in a message up to 200 bytes.
  const json r = reply_to(R"({"fn":"arch","args":{"index":")" + std::string(5000, 'x') + "\"}}");
  CHECK(error_type(r) == "RequestError");
  CHECK(error_message(r).size() < 400);
  std::string ones = "1";
  for (int i = 0; i < 2500; ++i) ones += ",1";
  const json long_array = reply_to(R"({"fn":"arch","args":{"index":[)" + ones + "]}}");
  CHECK(error_message(long_array).size() < 400);
  CHECK_THAT(error_message(long_array), Catch::EndsWith("..."));
}

TEST_CASE("protocol: integers are never truncated: beyond 32 bits they name nothing", "[protocol]") {
  // hp 2^32 + 200, seed 2^32 + 777 and iepoch 2^32 + 5 once answered as hp 200, seed 777, epoch 5.
  const json hp = reply_to(R"({"fn":"get_more_info","args":{"index":0,"dataset":"cifar10","hp":4294967496,"is_random":false}})");
  CHECK(error_type(hp) == "QueryError");
  CHECK_THAT(error_message(hp), Catch::Contains("unknown hp \"4294967496\""));
  const json seed = reply_to(R"({"fn":"get_train","args":{"index":0,"dataset":"cifar10","hp":"200","seed":4294968073}})");
  CHECK(error_type(seed) == "QueryError");
  CHECK_THAT(error_message(seed), Catch::Contains("seed 4294968073 is out of range"));
  const json iepoch = reply_to(
      R"({"fn":"get_metrics","args":{"index":0,"dataset":"cifar10","hp":"12","setname":"train","iepoch":4294967301}})");
  CHECK(error_type(iepoch) == "QueryError");
  CHECK_THAT(error_message(iepoch), Catch::Contains("iepoch 4294967301 is out of range"));
  const json random = reply_to(R"({"fn":"get_more_info","args":{"index":0,"dataset":"cifar10","is_random":-4294967296}})");
  CHECK(error_type(random) == "QueryError");
  const json index = reply_to(R"({"fn":"arch","args":{"index":18446744073709551615}})");
  CHECK(error_type(index) == "QueryError");
  CHECK_THAT(error_message(index), Catch::Contains("18446744073709551615"));
  const json index32 = reply_to(R"({"fn":"arch","args":{"index":4294967296}})");
  CHECK(error_type(index32) == "QueryError");
  CHECK_THAT(error_message(index32), Catch::Contains("4294967296"));
  // In range, the same requests are answered.
  CHECK(reply_to(R"({"fn":"get_more_info","args":{"index":0,"dataset":"cifar10","hp":200,"is_random":false}})")
            .contains("result"));
}

TEST_CASE("protocol: a request built in memory too deep for the protocol is refused, not printed", "[protocol]") {
  json deep = json::array();
  json* cursor = &deep;
  for (int i = 0; i < 100000; ++i) cursor = &(*cursor)[0];
  json request;  // built by moves: nlohmann copies nested values recursively
  request["fn"] = "arch";
  request["args"]["index"] = std::move(deep);
  nasbench::Random rng(0);
  const json r = nasbench::answer_request(tiny_api(), request, rng);
  CHECK(error_type(r) == "RequestError");
  CHECK_THAT(error_message(r), Catch::Contains("nested deeper than 64 levels"));
}

TEST_CASE("protocol: serve_requests answers each line once, long lines included", "[protocol]") {
  const std::string len = R"({"fn":"len","args":{}})";
  std::string input = len + "\r\n" + std::string(300, 'x') + "\n\n" + "\xFF\n" + len;  // no final newline
  std::istringstream in(input);
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  nasbench::Random rng(0);
  CHECK(nasbench::serve_requests(tiny_api(), in, out, rng, /*limit=*/256) == 5);
  std::rewind(out);
  std::vector<json> replies;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, out)) replies.push_back(json::parse(std::string(buf)));
  std::fclose(out);
  REQUIRE(replies.size() == 5);
  CHECK(replies[0] == json{{"result", 15625}});
  CHECK(error_type(replies[1]) == "RequestError");
  CHECK_THAT(error_message(replies[1]), Catch::Contains("longer than 256 bytes"));
  CHECK_THAT(error_message(replies[2]), Catch::Contains("empty request line"));
  CHECK_THAT(error_message(replies[3]), Catch::Contains("\\xFF"));
  CHECK(replies[4] == json{{"result", 15625}});

  std::string line;
  bool truncated = true;
  std::istringstream exact(std::string(256, 'y') + "\n" + std::string(257, 'z'));
  CHECK(nasbench::read_request_line(exact, line, truncated, 256));
  CHECK((line.size() == 256 && !truncated));
  CHECK(nasbench::read_request_line(exact, line, truncated, 256));
  CHECK((line.size() == 256 && truncated));
  CHECK_FALSE(nasbench::read_request_line(exact, line, truncated, 256));
}
