// Tests of include/nasbench/space/size.hpp: channels strings of the NATS-Bench size space (tags [space][size]).
#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

#include "nasbench/pickle.hpp"
#include "nasbench/space/size.hpp"
#include "support.hpp"

using nasbench::Channels;
using nasbench::ParseError;

namespace {
/// The ParseError message of parsing `text`, or "" when it parses.
std::string parse_error(const std::string& text, std::size_t* position = nullptr) {
  try {
    (void)Channels::parse(text);
  } catch (const ParseError& e) {
    if (position) *position = e.position();
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("size space: parse, print and index", "[space][size]") {
  const Channels c = Channels::parse("8:16:24:32:40");
  CHECK(c.values == std::array<int, 5>{8, 16, 24, 32, 40});
  CHECK(c.str() == "8:16:24:32:40");
  CHECK(Channels::parse("8:8:8:16:32").index() == 11);
  CHECK(Channels::from_index(0).str() == "8:8:8:8:8");
  CHECK(Channels::from_index(1).str() == "8:8:8:8:16");
  CHECK(Channels::from_index(8).str() == "8:8:8:16:8");
  CHECK(Channels::from_index(32767).str() == "64:64:64:64:64");
  CHECK_THROWS_WITH(Channels::from_index(32768), "nasbench: size-space index 32768 is out of range [0, 32768)");
  for (std::size_t i = 0; i < nasbench::kSizeSpaceSize; i += 37) CHECK(Channels::from_index(i).index() == i);
  const auto all = nasbench::enumerate_size_space();
  REQUIRE(all.size() == 32768);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 32768);
  CHECK(nasbench::looks_like_channels("8:8:8:8:8"));
  CHECK_FALSE(nasbench::looks_like_channels("|nor_conv_3x3~0|+|"));
  CHECK_FALSE(nasbench::looks_like_channels(""));
}

TEST_CASE("size space: malformed channels strings name the position", "[space][size]") {
  std::size_t pos = 99;
  CHECK(parse_error("8:16:24:32:41", &pos) ==
        "nasbench: channel count 41 of layer 4 is not a size-space choice (expected one of 8, 16, 24, 32, 40, 48, "
        "56, 64) at position 11 in \"8:16:24:32:41\"");
  CHECK(pos == 11);
  CHECK(parse_error("8:16:24:32", &pos) ==
        "nasbench: channels string ends after 4 of 5 values (expected values such as 8:16:24:32:40) at position 10 "
        "in \"8:16:24:32\"");
  CHECK(parse_error("8:16:24:32:40:48", &pos) ==
        "nasbench: unexpected text after the 5 channel counts at position 13 in \"8:16:24:32:40:48\"");
  CHECK(parse_error("8;16:24:32:40", &pos) ==
        "nasbench: expected ':' between channel counts at position 1 in \"8;16:24:32:40\"");
  CHECK(parse_error("8::24:32:40", &pos).find("expected a channel count (one of 8, 16") != std::string::npos);
  CHECK(pos == 2);
  CHECK(parse_error("0:8:8:8:8").find("channel count 0 of layer 0") != std::string::npos);
  CHECK(parse_error("-8:8:8:8:8", &pos).find("expected a channel count") != std::string::npos);
  CHECK(parse_error(" 8:8:8:8:8") != "");
  CHECK(parse_error("8:8:8:8:8 ") != "");
  CHECK(parse_error("99999999999999999999:8:8:8:8").find("is not a size-space choice") != std::string::npos);
  CHECK(parse_error("").find("ends where channel count 1 of 5 should be") != std::string::npos);
  CHECK(parse_error("8:08:8:8:8", &pos).find("has a leading zero") != std::string::npos);  // fuzz finding 5
  CHECK(pos == 2);
  CHECK_FALSE(Channels::try_parse("8:8:8:8"));
  CHECK(Channels::try_parse("64:8:8:8:8")->index() == 7 * 4096);
}

TEST_CASE("size space: the official order is the real sss meta file's", "[space][size]") {
  namespace fs = std::filesystem;
  const fs::path meta =
      fs::path(nasbench_test::shared_data()) / "nats-bench-sample" / "NATS-sss-v1_0-50262-simple" / "meta.pickle.pbz2";
  if (!fs::exists(meta)) {
    WARN("SKIPPED: real NATS-Bench size-space sample absent (" << meta.string() << ")");
    return;
  }
  const auto root = nasbench::pickle::open(meta.string()).root;
  const auto& archs = root.at("meta_archs");
  const auto all = nasbench::enumerate_size_space();
  REQUIRE(archs.size() == all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    INFO("index " << i);
    REQUIRE(archs[i].as_str() == all[i]);
    REQUIRE(Channels::parse(archs[i].as_str()).index() == i);
  }
}
