// Tests of nasbench/pickle (tag [pickle]).
//
// Fixtures: the files that tests/fixtures/make_pickle_fixtures.py writes with
// the real pickle / torch.save / bz2 modules, each with a JSON file of the
// value Python wrote, listed in manifest.json.
//   * If NASBENCH_PICKLE_FIXTURES is set, the fixtures are read from that
//     directory (the build runs the generator and sets it).
//   * Otherwise, if the build defines NASBENCH_PICKLE_FIXTURES_DEFAULT (a
//     directory holding manifest.json), that directory is used.
//   * Otherwise this file runs the generator itself, once per process, with
//     std::system("/usr/bin/python3 <dir of this file>/fixtures/make_pickle_fixtures.py <tmp>")
//     into a temporary directory that is removed at exit. If that fails
//     (no Python with torch), the fixture tests WARN and are skipped.
// Real NATS-Bench sample files are read from $NASBENCH_SHARED_DATA, else from
// NASBENCH_SHARED_DATA_DEFAULT when the build defines it, else from
// <repo>/../shared/data; when absent those checks WARN and return.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nasbench/pickle.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace fs = std::filesystem;
namespace pk = nasbench::pickle;
using Catch::Matchers::Contains;
using nasbench::LoadError;
using nlohmann::json;
using pk::Kind;
using pk::Value;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

fs::path source_dir() { return fs::absolute(fs::path(__FILE__)).parent_path(); }

// A temporary directory removed at exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("nasbench_test_pickle_" + std::to_string(::getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};
TempDir& temp_dir() {
  static TempDir dir;
  return dir;
}

const std::optional<fs::path>& fixtures_dir() {
  static const std::optional<fs::path> dir = []() -> std::optional<fs::path> {
    if (const char* env = std::getenv("NASBENCH_PICKLE_FIXTURES"); env && *env) {
      if (fs::exists(fs::path(env) / "manifest.json")) return fs::path(env);
      return std::nullopt;
    }
#ifdef NASBENCH_PICKLE_FIXTURES_DEFAULT
    if (fs::exists(fs::path(NASBENCH_PICKLE_FIXTURES_DEFAULT) / "manifest.json"))
      return fs::path(NASBENCH_PICKLE_FIXTURES_DEFAULT);
#endif
    fs::path script = source_dir() / "fixtures" / "make_pickle_fixtures.py";
    if (!fs::exists(script)) script = fs::path("tests/fixtures/make_pickle_fixtures.py");
    if (!fs::exists(script)) return std::nullopt;
    const fs::path out = temp_dir().path / "fixtures";
    const std::string cmd = "/usr/bin/python3 \"" + script.string() + "\" \"" + out.string() + "\"";
    if (std::system(cmd.c_str()) != 0 || !fs::exists(out / "manifest.json")) return std::nullopt;
    return out;
  }();
  return dir;
}

// The fixture directory, or nullopt after a WARN.
std::optional<fs::path> need_fixtures() {
  const auto& d = fixtures_dir();
  if (!d)
    WARN("pickle fixtures unavailable (set NASBENCH_PICKLE_FIXTURES or install /usr/bin/python3 with torch)");
  return d;
}

const json& manifest() {
  static const json m = json::parse(read_file(*fixtures_dir() / "manifest.json"));
  return m;
}

std::optional<fs::path> shared_data() {
  if (const char* env = std::getenv("NASBENCH_SHARED_DATA"); env && *env) {
    if (fs::exists(env)) return fs::path(env);
  }
#ifdef NASBENCH_SHARED_DATA_DEFAULT
  if (fs::exists(NASBENCH_SHARED_DATA_DEFAULT)) return fs::path(NASBENCH_SHARED_DATA_DEFAULT);
#endif
  const fs::path p = source_dir().parent_path().parent_path() / "shared" / "data";
  if (fs::exists(p)) return p;
  return std::nullopt;
}

std::string hex(const std::vector<std::uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

// ---- comparing a decoded Value with the JSON written by the generator ----

struct Ctx {
  const pk::Document* doc = nullptr;
  std::map<std::int64_t, std::string> group_key;
  std::map<std::string, std::int64_t> key_group;
};

std::string mismatch(const json& j, const Value& v, const std::string& path, Ctx& ctx);

std::string want(const std::string& path, const std::string& what, const Value& v) {
  std::string r = v.repr();
  if (r.size() > 120) r = r.substr(0, 117) + "...";
  return path + ": expected " + what + ", got " + std::string(v.type_name()) + " " + r;
}

std::string mismatch_seq(const json& arr, const Value& v, const std::string& path, Ctx& ctx) {
  if (v.items().size() != arr.size())
    return path + ": size " + std::to_string(v.items().size()) + " != " + std::to_string(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i)
    if (auto m = mismatch(arr[i], v.items()[i], path + "[" + std::to_string(i) + "]", ctx); !m.empty())
      return m;
  return {};
}

std::string mismatch_tensor(const json& t, const Value& v, const std::string& path, Ctx& ctx) {
  if (!v.is_tensor()) return want(path, "tensor", v);
  const auto& ti = v.as_tensor();
  if (std::string(pk::to_string(ti.dtype)) != t["dtype"].get<std::string>())
    return path + ": dtype " + std::string(pk::to_string(ti.dtype));
  if (ti.sizes != t["sizes"].get<std::vector<std::int64_t>>()) return path + ": sizes";
  if (ti.strides != t["strides"].get<std::vector<std::int64_t>>()) return path + ": strides";
  if (ti.storage_offset != t["storage_offset"].get<std::int64_t>()) return path + ": storage_offset";
  if (ti.requires_grad != t["requires_grad"].get<bool>()) return path + ": requires_grad";
  if (ti.is_parameter != t["is_parameter"].get<bool>()) return path + ": is_parameter";
  const auto& si = ti.storage_info();
  if (si.numel != t["storage_numel"].get<std::uint64_t>()) return path + ": storage numel";
  if (si.dtype != ti.dtype) return path + ": storage dtype";
  const auto group = t["storage_group"].get<std::int64_t>();
  if (auto it = ctx.group_key.find(group); it != ctx.group_key.end()) {
    if (it->second != si.key)
      return path + ": storage key " + si.key + " but group " + std::to_string(group) + " is " + it->second;
  } else {
    if (ctx.key_group.count(si.key)) return path + ": storage key " + si.key + " reused by another group";
    ctx.group_key[group] = si.key;
    ctx.key_group[si.key] = group;
  }
  if (ctx.doc == nullptr) return path + ": tensor outside a torch document";
  if (hex(ctx.doc->storage_bytes(si.key)) != t["storage_hex"].get<std::string>())
    return path + ": storage bytes";
  return {};
}

std::string mismatch(const json& j, const Value& v, const std::string& path, Ctx& ctx) {
  if (j.is_null()) return v.is_none() ? "" : want(path, "None", v);
  if (j.is_boolean()) return v.is_bool() && v.as_bool() == j.get<bool>() ? "" : want(path, j.dump(), v);
  if (j.is_number_integer())
    return v.is_int() && v.as_int() == j.get<std::int64_t>() ? "" : want(path, j.dump(), v);
  if (j.is_number_float()) {
    const double d = j.get<double>();
    return v.is_float() && v.as_float() == d && std::signbit(v.as_float()) == std::signbit(d)
               ? ""
               : want(path, j.dump(), v);
  }
  if (j.is_string()) return v.is_str() && v.as_str() == j.get<std::string>() ? "" : want(path, j.dump(), v);
  if (j.is_array()) {
    if (!v.is_list()) return want(path, "list", v);
    return mismatch_seq(j, v, path, ctx);
  }
  const auto first = j.items().begin();
  const std::string tag = first.key();
  const json& body = first.value();
  if (tag == "$float") {
    const std::string s = body.get<std::string>();
    if (!v.is_float()) return want(path, s, v);
    const double d = v.as_float();
    const bool ok = s == "nan" ? std::isnan(d) : (s == "inf" ? d == INFINITY : d == -INFINITY);
    return ok ? "" : want(path, s, v);
  }
  if (tag == "$bytes")
    return v.is_bytes() && v.as_bytes() == unhex(body.get<std::string>()) ? "" : want(path, "bytes", v);
  if (tag == "$tuple") return v.is_tuple() ? mismatch_seq(body, v, path, ctx) : want(path, "tuple", v);
  if (tag == "$dict" || tag == "$odict") {
    if (!v.is_dict()) return want(path, "dict", v);
    if (v.is_ordered_dict() != (tag == "$odict"))
      return want(path, tag == "$odict" ? "OrderedDict" : "plain dict", v);
    const auto& items = v.dict_items();
    if (items.size() != body.size())
      return path + ": dict size " + std::to_string(items.size()) + " != " + std::to_string(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      const std::string p = path + "[" + items[i].first.repr() + "]";
      if (auto m = mismatch(body[i][0], items[i].first, p + "(key)", ctx); !m.empty()) return m;
      if (auto m = mismatch(body[i][1], items[i].second, p, ctx); !m.empty()) return m;
      if (v.find(items[i].first) != &items[i].second) return p + ": lookup by key finds another item";
    }
    return {};
  }
  if (tag == "$set" || tag == "$frozenset") {
    if (v.kind() != (tag == "$set" ? Kind::kSet : Kind::kFrozenSet)) return want(path, tag.substr(1), v);
    if (v.items().size() != body.size()) return path + ": set size";
    for (const auto& e : body) {
      bool found = false;
      for (const auto& x : v.items()) {
        Ctx scratch = ctx;
        if (mismatch(e, x, path, scratch).empty()) found = true;
      }
      if (!found) return path + ": set lacks " + e.dump();
    }
    return {};
  }
  if (tag == "$np") {
    const std::string dt = body.get<std::string>();
    const json& val = j.at("value");
    const std::string p = path + "(numpy." + dt + ")";
    if (dt == "bool") return mismatch(val, v, p, ctx);
    if (dt.rfind("float", 0) == 0) {
      if (val.is_number_integer())
        return v.is_float() && v.as_float() == val.get<double>() ? "" : want(p, val.dump(), v);
      return mismatch(val, v, p, ctx);
    }
    return mismatch(val, v, p, ctx);
  }
  if (tag == "$tensor") return mismatch_tensor(body, v, path, ctx);
  return path + ": unknown tag " + tag;
}

std::string compare_with_fixture(const pk::Document& doc, const fs::path& json_path) {
  Ctx ctx;
  ctx.doc = &doc;
  return mismatch(json::parse(read_file(json_path)), doc.root, "root", ctx);
}

// Expects f() to throw LoadError whose message contains every piece.
template <class F>
std::string expect_load_error(F&& f, std::initializer_list<std::string> pieces) {
  try {
    f();
  } catch (const LoadError& e) {
    const std::string msg = e.what();
    for (const auto& p : pieces)
      if (msg.find(p) == std::string::npos) return "message \"" + msg + "\" lacks \"" + p + "\"";
    return {};
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

std::uint64_t error_offset(const std::string& data) {
  try {
    (void)pk::loads(data);
  } catch (const LoadError& e) {
    return e.offset();
  }
  return 0xdead;
}

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

// Walks every container reachable from v (each node once).
template <class F>
void walk(const Value& v, F&& f, std::unordered_set<const void*>& seen) {
  if (v.identity() != nullptr && !seen.insert(v.identity()).second) return;
  if (v.is_container()) f(v);
  if (v.is_dict()) {
    for (const auto& kv : v.dict_items()) {
      walk(kv.first, f, seen);
      walk(kv.second, f, seen);
    }
  } else if (v.is_container()) {
    for (const auto& x : v.items()) walk(x, f, seen);
  }
}

}  // namespace

TEST_CASE("pickle: every fixture decodes to what Python wrote", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  REQUIRE(manifest().size() >= 17);
  for (const auto& e : manifest()) {
    const std::string name = e["name"];
    INFO("fixture " << name);
    for (const bool prescan : {false, true}) {
      INFO("prescan_memo " << prescan);
      pk::ReaderOptions opt;
      opt.prescan_memo = prescan;
      const pk::Document doc = pk::open((*dir / e["file"].get<std::string>()).string(), opt);
      CHECK(std::string(pk::to_string(doc.format)) == e["format"].get<std::string>());
      CHECK(pk::detect_format((*dir / name).string()) == doc.format);
      CHECK(compare_with_fixture(doc, *dir / e["expect"].get<std::string>()) == "");
      if (e.contains("reprs")) {
        for (const auto& [key, expected] : e["reprs"].items()) {
          INFO("repr of " << key);
          CHECK(doc.root.at(key).repr() == expected.get<std::string>());
        }
      }
    }
  }
}

TEST_CASE("pickle: shared references stay shared; OrderedDict, tuple keys and sets", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (int proto = 0; proto <= 5; ++proto) {
    INFO("protocol " << proto);
    const Value root = pk::open((*dir / ("basic_p" + std::to_string(proto) + ".pkl")).string()).root;
    CHECK(root.at("shared_list").identity() == root.at("shared_list2").identity());
    CHECK(root.at("shared_str").identity() == root.at("shared_str2").identity());
    CHECK(root.at("od").is_ordered_dict());
    CHECK_FALSE(root.at("keys").is_ordered_dict());
    CHECK(root.at("empty_od").is_ordered_dict());
    const Value& keys = root.at("keys");
    CHECK(keys.at(Value::make_tuple({Value::from_str("cifar10"), Value::from_int(777)})).as_str() == "tuple");
    CHECK(keys.at(Value::make_tuple(
                      {Value::from_str("a"), Value::make_tuple({Value::from_int(1), Value::from_int(2)})}))
              .as_str() == "nested tuple");
    CHECK(keys.at(std::int64_t{1}).as_str() == "int");
    CHECK(keys.at(std::int64_t{-5}).as_str() == "neg");
    CHECK(keys.at(std::int64_t{0}).as_str() == "bool");  // False == 0, as in Python
    CHECK(keys.at(Value::from_float(1.0)).as_str() == "int");
    CHECK(keys.at(Value::from_float(2.5)).as_str() == "float");
    CHECK(keys.at(Value()).as_str() == "none");
    CHECK(keys.at(Value::from_bytes("bk")).as_str() == "bytes key");
    CHECK(keys.at("str").as_str() == "str");
    CHECK(keys.find("nope") == nullptr);
    CHECK(keys.find(std::int64_t{2}) == nullptr);
    CHECK(root.at("set").kind() == Kind::kSet);
    CHECK(root.at("set") == Value::make_set({Value::from_int(3), Value::from_int(2), Value::from_int(1)}));
    CHECK(root.at("fset").kind() == Kind::kFrozenSet);
    CHECK(root.at("empty_set").size() == 0);
    const auto& np = root.at("np").items();
    CHECK(np[0].as_float() == 0.1);
    CHECK(np[1].as_float() == -1e-300);
    CHECK(np[2].as_float() == 0.129306);
    CHECK(np[3].as_float() == 1.5);
    CHECK(np[4].as_float() == 0.3330078125);  // float16(0.333), as Python reads it
    CHECK(np[5].as_int() == -3);
    CHECK(np[8].as_int() == 200);
    CHECK(np[10].as_bool());
    const auto& ints = root.at("ints").items();
    CHECK(ints[12].as_int() == (std::int64_t{1} << 40) + 7);   // 6-byte LONG1
    CHECK(ints[13].as_int() == -(std::int64_t{1} << 47) + 3);  // 6-byte LONG1, negative
    CHECK(ints[14].as_int() == (std::int64_t{1} << 55) - 1);   // 7-byte LONG1
    CHECK(ints[17].as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK(std::isnan(root.at("nan").as_float()));
  }
}

TEST_CASE("pickle: LONG1/LONG4 of 0 to 8 bytes, and longer ones refused", "[pickle]") {
  CHECK(pk::loads(B({0x80, 2, 0x8a, 0, '.'})).as_int() == 0);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 5, 1, 2, 3, 4, 5, '.'})).as_int() == 0x0504030201LL);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 5, 0, 0, 0, 0, 0x80, '.'})).as_int() == -(std::int64_t{1} << 39));
  CHECK(pk::loads(B({0x80, 2, 0x8a, 6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '.'})).as_int() == -1);
  CHECK(pk::loads(B({0x80, 2, 0x8a, 7, 0, 0, 0, 0, 0, 0, 0x40, '.'})).as_int() == (std::int64_t{1} << 54));
  CHECK(pk::loads(B({0x80, 2, 0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80, '.'})).as_int() ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(pk::loads(B({0x80, 2, 0x8b, 5, 0, 0, 0, 1, 2, 3, 4, 5, '.'})).as_int() == 0x0504030201LL);
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, '.'}));
            },
            {"integer too large for int64 (9-byte LONG1)", "byte offset 2"}) == "");
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 2, 0x8b, 0xff, 0xff, 0xff, 0x7f, '.'}));
            },
            {"integer too large", "LONG4"}) == "");
  CHECK(expect_load_error([] { (void)pk::loads("I99999999999999999999\n."); }, {"does not fit in int64"}) ==
        "");
  // Text opcodes of protocol 0.
  CHECK(pk::loads("I01\n.").as_bool());
  CHECK(pk::loads("L-12345678901L\n.").as_int() == -12345678901LL);
  CHECK(pk::loads("F-1e-05\n.").as_float() == -1e-05);
  CHECK(pk::loads("S'a\\'b\\n\\x41'\np0\n.").as_str() == "a'b\nA");
  CHECK(pk::loads("Vx\\u00e9\\U0001f642\n.").as_str() == "x\xc3\xa9\xf0\x9f\x99\x82");
}

TEST_CASE("pickle: protocol 4/5 FRAMEs and a big NATS-like layout", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const auto& e : manifest()) {
    if (e["name"] == "big_p4.pkl" || e["name"] == "big_p5.pkl") CHECK(e["frames"].get<int>() >= 2);
  }
  const Value p4 = pk::open((*dir / "big_p4.pkl").string()).root;
  const Value p2 = pk::open((*dir / "big_p2.pkl").string()).root;
  const Value bz = pk::open((*dir / "big_multistream.pbz2").string()).root;
  const Value legacy = pk::open((*dir / "big_legacy.pth").string()).root;
  CHECK(p4 == p2);
  CHECK(p4 == bz);
  CHECK(p4 == legacy);
  CHECK(p4.size() == 40);
  CHECK(p4.at("000039")
            .at("all_results")
            .at(Value::make_tuple({Value::from_str("cifar10-valid"), Value::from_int(888)}))
            .at("train_acc1es")
            .at(std::int64_t{49})
            .as_float() == 10.0 + 49.0 / 7 + 39);
  // A FRAME that claims more than the input holds fails at once.
  CHECK(expect_load_error(
            [] {
              (void)pk::loads(B({0x80, 4, 0x95, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 'N', '.'}));
            },
            {"truncated pickle: FRAME length 65535 exceeds the remaining input (2 bytes)",
             "byte offset 2"}) == "");
}

TEST_CASE("pickle: torch.save tensors, legacy and zip", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const std::string name : {"tensors_legacy.pth", "tensors_zip.pth", "tensors_zip_buffer.pth"}) {
    INFO(name);
    const pk::Document doc = pk::open((*dir / name).string());
    const Value& r = doc.root;
    REQUIRE(r.is_ordered_dict());
    CHECK(doc.storages.size() == 15);
    const auto& f32 = r.at("f32").as_tensor();
    // Views share one storage node, as they share one torch storage.
    for (const char* view : {"view_row", "view_t", "view_slice"})
      CHECK(r.at(view).as_tensor().storage.identity() == f32.storage.identity());
    CHECK(r.at("f64").as_tensor().storage.identity() != f32.storage.identity());
    const auto& sl = r.at("view_slice").as_tensor();
    CHECK(sl.storage_offset == 1);
    CHECK(sl.sizes == std::vector<std::int64_t>{3, 2});
    CHECK(sl.strides == std::vector<std::int64_t>{4, 2});
    CHECK(r.at("view_t").as_tensor().strides == std::vector<std::int64_t>{1, 4});
    CHECK(r.at("view_row").as_tensor().storage_offset == 4);
    CHECK(r.at("scalar").as_tensor().sizes.empty());
    CHECK(r.at("empty").as_tensor().numel() == 0);
    CHECK(r.at("param").as_tensor().is_parameter);
    CHECK(r.at("param").as_tensor().requires_grad);
    CHECK(r.at("param_nograd").as_tensor().is_parameter);
    CHECK_FALSE(r.at("param_nograd").as_tensor().requires_grad);
    CHECK(r.at("grad").as_tensor().requires_grad);
    CHECK_FALSE(r.at("grad").as_tensor().is_parameter);
    CHECK(r.at("f16").as_tensor().dtype == pk::ScalarType::kFloat16);
    CHECK(r.at("bf16").as_tensor().dtype == pk::ScalarType::kBFloat16);
    CHECK(r.at("b").as_tensor().dtype == pk::ScalarType::kBool);
    CHECK(r.at("u8").as_tensor().dtype == pk::ScalarType::kUInt8);
    CHECK(r.at("i32").as_tensor().dtype == pk::ScalarType::kInt32);
    CHECK(r.at("meta").at("acc").as_float() == 93.5);
    CHECK(r.at("state").is_ordered_dict());
    // Raw bytes of the storages.
    const pk::StorageRecord* rec = doc.find_storage(f32.storage_info().key);
    REQUIRE(rec != nullptr);
    CHECK(rec->numel == 12);
    CHECK(rec->nbytes == 48);
    CHECK(rec->dtype == pk::ScalarType::kFloat32);
    CHECK(rec->location == "cpu");
    const auto bytes = doc.storage_bytes(rec->key);
    REQUIRE(bytes.size() == 48);
    for (int i = 0; i < 12; ++i) {
      float f;
      std::memcpy(&f, bytes.data() + 4 * i, 4);
      CHECK(f == static_cast<float>(i));
    }
    const auto f64 = doc.storage_bytes(r.at("f64").as_tensor().storage_info().key);
    double third;
    std::memcpy(&third, f64.data(), 8);
    CHECK(third == 1.0 / 3);
    CHECK(doc.find_storage("no-such-key") == nullptr);
    CHECK(expect_load_error([&] { (void)doc.storage_bytes("no-such-key"); },
                            {"no storage \"no-such-key\""}) == "");
    if (doc.format == pk::Format::kTorchZip) {
      const std::string root = name == "tensors_zip.pth" ? "tensors_zip" : "archive";
      for (std::size_t i = 0; i < doc.storages.size(); ++i) {
        CHECK(doc.storages[i].key == std::to_string(i));  // zip keys number storages in first-use order
        CHECK(doc.storages[i].zip_entry == root + "/data/" + std::to_string(i));
      }
    } else {
      CHECK(doc.format == pk::Format::kTorchLegacy);
      std::set<std::uint64_t> offsets;
      for (const auto& s : doc.storages) {
        CHECK(s.offset != LoadError::kNoOffset);
        CHECK(s.offset + s.nbytes <= fs::file_size(*dir / name));
        offsets.insert(s.offset);
      }
      CHECK(offsets.size() == doc.storages.size());
    }
  }
  // Legacy and zip decode to equal descriptors (keys differ, so compare by shape).
  const Value a = pk::open((*dir / "tensors_legacy.pth").string()).root;
  const Value b = pk::open((*dir / "tensors_zip.pth").string()).root;
  for (std::size_t i = 0; i < a.dict_items().size(); ++i) {
    const Value& x = a.dict_items()[i].second;
    const Value& y = b.dict_items()[i].second;
    if (!x.is_tensor()) continue;
    CHECK(x.as_tensor().sizes == y.as_tensor().sizes);
    CHECK(x.as_tensor().strides == y.as_tensor().strides);
    CHECK(x.as_tensor().storage_offset == y.as_tensor().storage_offset);
  }
}

TEST_CASE("pickle: on_complete sees every container once, children before parents", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const auto& e : manifest()) {
    INFO(e["name"].get<std::string>());
    std::unordered_map<const void*, std::size_t> order;
    bool twice = false;
    pk::ReaderOptions opt;
    opt.on_complete = [&](Value& v) {
      CHECK(v.is_container());
      if (!order.emplace(v.identity(), order.size()).second) twice = true;
    };
    const pk::Document doc = pk::open((*dir / e["file"].get<std::string>()).string(), opt);
    CHECK_FALSE(twice);
    std::unordered_set<const void*> seen;
    std::size_t missing = 0, misordered = 0;
    walk(
        doc.root,
        [&](const Value& c) {
          auto it = order.find(c.identity());
          if (it == order.end()) {
            ++missing;
            return;
          }
          const auto check_child = [&](const Value& child) {
            if (!child.is_container()) return;
            auto ct = order.find(child.identity());
            if (ct == order.end() || ct->second > it->second) ++misordered;
          };
          if (c.is_dict()) {
            for (const auto& kv : c.dict_items()) {
              check_child(kv.first);
              check_child(kv.second);
            }
          } else {
            for (const auto& x : c.items()) check_child(x);
          }
        },
        seen);
    CHECK(missing == 0);
    CHECK(misordered == 0);
    CHECK(order.count(doc.root.identity()) == (doc.root.is_container() ? 1u : 0u));
  }
}

TEST_CASE("pickle: become_handle replaces a container everywhere, the memo included", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"shared_dict_p2.pkl", "shared_dict_p4.pkl"}) {
    INFO(name);
    Value child;
    std::uint32_t child_refs_before = 0, child_refs_after = 0;
    int converted = 0;
    pk::ReaderOptions opt;
    opt.on_complete = [&](Value& v) {
      if (v.is_dict() && v.find("train_acc1es") != nullptr) {
        child = v.at("train_acc1es");
        child_refs_before = child.use_count();
        v.become_handle(7, std::make_shared<double>(v.at("train_acc1es").at(std::int64_t{0}).as_float()));
        child_refs_after = child.use_count();
        ++converted;
      }
    };
    const Value root = pk::open((*dir / name).string(), opt).root;
    CHECK(converted == 1);
    const Value& first = root[0][0];
    const Value& second = root[1];  // read back through the memo after the conversion
    CHECK(first.is_handle());
    CHECK(second.is_handle());
    CHECK(first.identity() == second.identity());
    CHECK(first.handle_id() == 7);
    CHECK(*std::static_pointer_cast<double>(second.handle_payload()) == 1.5);
    CHECK(child_refs_after == child_refs_before - 1);  // the handle let go of its children
    CHECK(root.repr() == "[[<handle 7>], <handle 7>]");
  }
  // A dict stored into itself, turned into a handle by the hook mid-SETITEMS: refused, no crash.
  pk::ReaderOptions all;
  all.on_complete = [](Value& v) {
    if (v.is_dict()) v.become_handle(1);
  };
  CHECK(expect_load_error(
            [&] {
              (void)pk::loads(B({0x80, 2, '}', 'q', 0, '(', 'K', 1, 'h', 0, 'u', '.'}), all);
            },
            {"SETITEMS expects a dict below its items, got handle <handle 1>", "byte offset 10"}) == "");
  CHECK(expect_load_error(
            [&] {
              (void)pk::loads(B({0x80, 2, '}', 'q', 0, 'K', 1, 'h', 0, 's', '.'}), all);
            },
            {"SETITEM expects a dict", "got handle"}) == "");
  // Not a container: refused.
  Value s = Value::from_str("x");
  CHECK(expect_load_error([&] { s.become_handle(1); }, {"expected container", "got str"}) == "");
}

TEST_CASE("pickle: prescan_memo keeps only memo entries that are read back", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"big_p2.pkl", "big_p4.pkl"}) {
    INFO(name);
    pk::FileSource f1((*dir / name).string(), 4096);
    pk::Reader full(f1);
    const Value a = full.load();
    pk::FileSource f2((*dir / name).string(), 4096);  // smaller than the file: seeking back refills
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::Reader pre(f2, opt);
    const Value b = pre.load();
    CHECK(a == b);
    CHECK(full.stats().memo_entries == pre.stats().memo_entries);
    CHECK(full.stats().memo_kept == full.stats().memo_entries);
    CHECK(pre.stats().memo_kept * 10 < pre.stats().memo_entries);
    CHECK(pre.stats().end_offset == fs::file_size(*dir / name));
    // Memory-mapped windows much smaller than the file (as for files over
    // 64 MB) give the same values, with and without seeking back.
    pk::FileSource f3((*dir / name).string(), 4096, 4096);
    pk::Reader mapped(f3, opt);
    CHECK(mapped.load() == a);
    CHECK(mapped.stats().end_offset == fs::file_size(*dir / name));
    pk::FileSource f4((*dir / name).string(), 4096, 8192);
    pk::Reader mapped_full(f4);
    CHECK(mapped_full.load() == a);
    std::uint8_t byte = 0;
    CHECK(f4.read(&byte, 1) == 0);
  }
  // A memory source seeks back too.
  const std::string data = read_file(*dir / "basic_p3.pkl");
  pk::ReaderOptions opt;
  opt.prescan_memo = true;
  const Value v = pk::loads(data, opt);
  CHECK(v.at("shared_list").identity() == v.at("shared_list2").identity());
}

namespace {

/// A source over `data` that waits for `*go` before its first bytes and sets
/// `*served_all` once it has handed out its last one (a test's way of
/// ordering the two passes of a background prescan); at most `max_fill`
/// bytes per fill (so that opcodes straddle the refills of its buffer).
class GatedSource final : public pk::Source {
 public:
  GatedSource(std::string data, const std::atomic<bool>* go, std::atomic<bool>* served_all,
              std::size_t max_fill = std::size_t(-1))
      : Source("<gated>", 4096), data_(std::move(data)), go_(go), served_all_(served_all), max_fill_(max_fill) {}
  [[nodiscard]] std::optional<std::uint64_t> size() const override { return data_.size(); }

 protected:
  std::size_t fill(std::uint8_t* dst, std::size_t cap) override {
    for (int i = 0; go_ != nullptr && !go_->load() && i < 10000; ++i)  // at most 10 s
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const std::size_t n = std::min({cap, data_.size() - pos_, max_fill_});
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    if (pos_ == data_.size() && served_all_ != nullptr) served_all_->store(true);
    return n;
  }
  bool rewind_to(std::uint64_t target) override {
    if (target > data_.size()) return false;
    pos_ = static_cast<std::size_t>(target);
    return true;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
  const std::atomic<bool>* go_;
  std::atomic<bool>* served_all_;
  std::size_t max_fill_;
};

}  // namespace

TEST_CASE("pickle: a prescan on another thread gives the same values, whichever pass ends first", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"big_p2.pkl", "big_p4.pkl"}) {
    INFO(name);
    const std::string data = read_file(*dir / name);
    pk::MemorySource plain(data);
    pk::Reader reference(plain);
    const Value expected = reference.load();
    const std::uint64_t all_kept = reference.stats().memo_kept;
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    {  // The prescan ends first: the main pass drops what it need not keep, mid-pickle.
      std::atomic<bool> prescan_done{false};
      opt.prescan_source = [&] { return std::make_unique<GatedSource>(data, nullptr, &prescan_done); };
      GatedSource main(data, &prescan_done, nullptr);
      pk::Reader r(main, opt);
      CHECK(r.load() == expected);
      CHECK(r.stats().memo_entries == reference.stats().memo_entries);
      CHECK(r.stats().memo_kept * 10 < all_kept);
    }
    {  // The main pass ends first: the prescan is stopped and nothing changes.
      // The prescan's source opens when the root is completed at STOP, after
      // the last memo entry (when the main source had handed out its last
      // bytes instead, the prescan could still finish first, now and then).
      std::atomic<bool> main_done{false};
      opt.prescan_source = [&] { return std::make_unique<GatedSource>(data, &main_done, nullptr); };
      opt.on_complete = [&](Value& v) {
        if (!main_done && v.kind() == expected.kind() && v.size() == expected.size() && v == expected) main_done = true;
      };
      GatedSource main(data, nullptr, nullptr);
      pk::Reader r(main, opt);
      CHECK(r.load() == expected);
      CHECK(main_done);
      CHECK(r.stats().memo_kept == all_kept);
      opt.on_complete = nullptr;
    }
    {  // A prescan source that cannot reach the pickle: a LoadError saying so.
      opt.prescan_source = [] { return std::unique_ptr<pk::Source>(); };
      pk::MemorySource main(data);
      CHECK(expect_load_error([&] { (void)pk::Reader(main, opt).load(); },
                              {"the prescan source cannot reach the pickle at offset 0"}) == "");
    }
    {  // A truncated pickle: a LoadError from either pass, never a hang.
      const std::string cut = data.substr(0, data.size() / 2);
      opt.prescan_source = [&] { return std::make_unique<pk::MemorySource>(cut); };
      pk::MemorySource main(cut);
      CHECK_THROWS_AS(pk::Reader(main, opt).load(), nasbench::LoadError);
    }
  }
  // pickle::open with the threshold at 0: every plain and legacy file gets a
  // background prescan, with the values Python wrote.
  for (const char* name : {"big_p2.pkl", "big_p5.pkl", "big_legacy.pth", "basic_p3.pkl"}) {
    INFO(name);
    pk::ReaderOptions background;
    background.prescan_memo = true;
    background.background_prescan_min_bytes = 0;
    const fs::path path = *dir / name;
    CHECK(compare_with_fixture(pk::open(path.string(), background), path.string() + ".json") == "");
  }
}

TEST_CASE("pickle: numpy scalars are decoded without their argument nodes where nothing reads those back",
          "[pickle]") {
  auto unhex = [](std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
  };
  // [np.float64(2.5), np.float64(-1.25), np.float64(7.0)], then memo entries
  // made inside the second scalar read back at the end (hand-edited), as
  // pickle.dumps(protocol=2) and (=4) write them. Protocol 2: the first scalar
  // spells 'latin1' out (generic path), the second has entries read back
  // (generic path), the third takes the fast path. Protocol 4: the second only
  // takes the generic path.
  struct Case {
    const char* name;
    std::string data;
    std::uint64_t fast;
    std::size_t items;
  };
  const Case cases[] = {
      {"protocol 2",
       unhex("80025d710028636e756d70792e636f72652e6d756c746961727261790a7363616c61720a7101636e756d70790a647479706"
             "50a71025802000000663871038988877104527105284b0358010000003c71064e4e4e4affffffff4affffffff4b0074710762"
             "635f636f646563730a656e636f64650a710858080000000000000000000440710958060000006c6174696e31710a86710b52"
             "710c86710d52710e680168056808580a000000000000000000c3b4c2bf710f680a86711052711186711252711368016805680"
             "858080000000000000000001c407114680a86711552711686711752711868106811652e"),
       1, 5},
      {"protocol 4",
       unhex("80049595000000000000005d94288c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493948c"
             "056e756d7079948c0564747970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007"
             "49462430800000000000004409486945294680368094308000000000000f4bf94869452946803680943080000000000001c"
             "409486945294680f652e"),
       2, 4},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    pk::MemorySource s1(c.data);
    pk::Reader generic(s1);
    const Value a = generic.load();
    CHECK(generic.stats().fast_numpy_scalars == 0);
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::MemorySource s2(c.data);
    pk::Reader fast(s2, opt);
    const Value b = fast.load();
    CHECK(fast.stats().fast_numpy_scalars == c.fast);
    CHECK(b == a);
    REQUIRE(a.size() == c.items);
    CHECK(a[0] == Value::from_float(2.5));
    CHECK(a[1] == Value::from_float(-1.25));
    CHECK(a[2] == Value::from_float(7.0));
    CHECK(a[c.items - 1] == Value::from_bytes(std::string("\0\0\0\0\0\0\xf4\xbf", 8)));
    if (c.items == 5) CHECK(a[3] == Value::make_tuple({Value::from_str(std::string("\0\0\0\0\0\0\xc3\xb4\xc2\xbf", 10)),
                                                      Value::from_str("latin1")}));
    // Every truncation is still a LoadError.
    for (std::size_t n = 0; n < c.data.size(); ++n) {
      pk::MemorySource cut(std::string_view(c.data).substr(0, n));
      CHECK_THROWS_AS(pk::Reader(cut, opt).load(), nasbench::LoadError);
    }
  }
  // Python's own pickles of every numpy scalar type, through the fast path.
  const auto dir = need_fixtures();
  if (!dir) return;
  for (const char* name : {"basic_p2.pkl", "basic_p4.pkl", "big_p2.pkl"}) {
    INFO(name);
    pk::ReaderOptions opt;
    opt.prescan_memo = true;
    pk::FileSource f((*dir / name).string());
    pk::Reader r(f, opt);
    pk::Document doc;
    doc.root = r.load();
    CHECK(r.stats().fast_numpy_scalars > 0);
    CHECK(compare_with_fixture(doc, (*dir / name).string() + ".json") == "");
  }
}

TEST_CASE("pickle: the item loop after MARK decodes exactly what the opcode loop does", "[pickle]") {
  auto unhex = [](std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
  };
  // pickle.dumps({'t': {0: 1.5, 1: None, 2: 7, 3: 300, 4: -5, 5: np.float64(0.25), 6: np.float32(0.5)},
  //               'e': {'ori-test@0': 1.0, 'ori-test@1': 2.0}, 'f': {'ori-test@0': 3.0, 'ori-test@1': 4.0},
  //               'big': {70000: 1.0}}, protocol=2 and 4): every opcode the loop decodes (BININT1/2/4,
  // BINFLOAT, NONE, BINUNICODE, GETs and PUTs, numpy scalars), the keys of 'f' read back from the memo.
  const std::string files[] = {
      unhex("80027d71002858010000007471017d7102284b00473ff80000000000004b014e4b024b074b034d2c014b044afbffffff4b05636e"
            "756d70792e636f72652e6d756c746961727261790a7363616c61720a7103636e756d70790a64747970650a71045802000000"
            "663871058988877106527107284b0358010000003c71084e4e4e4affffffff4affffffff4b0074710962635f636f646563"
            "730a656e636f64650a710a5809000000000000000000c3903f710b58060000006c6174696e31710c86710d52710e86710f"
            "5271104b06680368045802000000663471118988877112527113284b0368084e4e4e4affffffff4affffffff4b007471146268"
            "0a58040000000000003f7115680c86711652711786711852711975580100000065711a7d711b28580a0000006f72692d74"
            "6573744030711c473ff0000000000000580a0000006f72692d746573744031711d47400000000000000075580100000066"
            "711e7d711f28681c474008000000000000681d47401000000000000075580300000062696771207d71214a70110100473ff0"
            "00000000000073752e"),
      unhex("80049531010000000000007d94288c0174947d94284b00473ff80000000000004b014e4b024b074b034d2c014b044afbffff"
            "ff4b058c156e756d70792e636f72652e6d756c74696172726179948c067363616c61729493948c056e756d7079948c056474"
            "7970659493948c02663894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624308000000000000"
            "d03f94869452944b06680568088c02663494898887945294284b03680c4e4e4e4affffffff4affffffff4b0074946243040000"
            "003f9486945294758c0165947d94288c0a6f72692d74657374403094473ff00000000000008c0a6f72692d746573744031"
            "94474000000000000000758c0166947d9428681a474008000000000000681b474010000000000000758c03626967947d944a"
            "70110100473ff000000000000073752e"),
  };
  Value t = Value::make_dict();
  t.insert(Value::from_int(0), Value::from_float(1.5));
  t.insert(Value::from_int(1), Value());
  t.insert(Value::from_int(2), Value::from_int(7));
  t.insert(Value::from_int(3), Value::from_int(300));
  t.insert(Value::from_int(4), Value::from_int(-5));
  t.insert(Value::from_int(5), Value::from_float(0.25));
  t.insert(Value::from_int(6), Value::from_float(0.5));
  auto evals = [](double a, double b) {
    Value d = Value::make_dict();
    d.insert(Value::from_str("ori-test@0"), Value::from_float(a));
    d.insert(Value::from_str("ori-test@1"), Value::from_float(b));
    return d;
  };
  Value big = Value::make_dict();
  big.insert(Value::from_int(70000), Value::from_float(1.0));
  Value expected = Value::make_dict();
  expected.insert(Value::from_str("t"), t);
  expected.insert(Value::from_str("e"), evals(1.0, 2.0));
  expected.insert(Value::from_str("f"), evals(3.0, 4.0));
  expected.insert(Value::from_str("big"), big);
  for (const std::string& data : files) {
    for (bool prescan : {false, true}) {
      INFO("protocol " << int(static_cast<unsigned char>(data[1])) << ", prescan_memo " << prescan);
      pk::ReaderOptions opt;
      opt.prescan_memo = prescan;
      pk::MemorySource mem(data);
      pk::Reader r(mem, opt);
      const Value v = r.load();
      CHECK(v == expected);
      CHECK(r.stats().fast_item_opcodes >= 20);
      // (protocol 2 spells 'latin1' out in the first scalar: that one takes the generic path)
      CHECK(r.stats().fast_numpy_scalars == (prescan ? (data[1] == 2 ? 1u : 2u) : 0u));
      CHECK(v.at("e").dict_items()[0].first.identity() == v.at("f").dict_items()[0].first.identity());
      GatedSource trickle(data, nullptr, nullptr, 5);
      CHECK(pk::Reader(trickle, opt).load() == expected);
      for (std::size_t n = 0; n < data.size(); ++n) {
        pk::MemorySource cut(std::string_view(data).substr(0, n));
        CHECK_THROWS_AS(pk::Reader(cut, opt).load(), nasbench::LoadError);
      }
    }
  }
  // A batch that another opcode than SETITEMS closes: the loop leaves the
  // items on the stack for it (TUPLE, LIST, POP_MARK).
  const std::string tail = B({'K', 1, 'M', 0x2c, 1, 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 'N'});
  CHECK(pk::loads(B({0x80, 2, '('}) + tail + "t.") ==
        Value::make_tuple({Value::from_int(1), Value::from_int(300), Value::from_float(1.5), Value()}));
  CHECK(pk::loads(B({0x80, 2, '('}) + tail + "l.") ==
        Value::make_list({Value::from_int(1), Value::from_int(300), Value::from_float(1.5), Value()}));
  CHECK(pk::loads(B({0x80, 2, 'K', 9, '('}) + tail + "1.") == Value::from_int(9));
  // Long batches of str keys across the refills of a small buffer.
  std::string many = B({0x80, 2, '}', '('});
  Value want = Value::make_dict();
  for (int i = 0; i < 3000; ++i) {
    const std::string key = "x-valid@" + std::to_string(i);
    many += 'X';
    for (int b = 0; b < 4; ++b) many += static_cast<char>((key.size() >> (8 * b)) & 0xff);
    many += key;
    many += B({'G', 0x40, 0, 0, 0, 0, 0, 0, 0});
    want.insert(Value::from_str(key), Value::from_float(2.0));
  }
  many += "u.";
  GatedSource slow(many, nullptr, nullptr, 5);
  pk::Reader r(slow);
  CHECK(r.load() == want);
  CHECK(r.stats().fast_item_opcodes > 0);
  CHECK(pk::loads(many) == want);
}

TEST_CASE("pickle: Value model", "[pickle]") {
  static_assert(sizeof(Value) == 16);
  Value s = Value::from_str("cifar10");
  {
    Value t = s;
    CHECK(s.use_count() == 2);
    CHECK(t.identity() == s.identity());
  }
  CHECK(s.use_count() == 1);
  CHECK(Value::from_int(1) == Value::from_float(1.0));
  CHECK(Value::from_int(1) == Value::from_bool(true));
  CHECK(Value::from_int(1).hash() == Value::from_float(1.0).hash());
  CHECK(Value::from_int(1).hash() == Value::from_bool(true).hash());
  CHECK(Value::from_str("a") != Value::from_bytes("a"));
  CHECK(Value::make_tuple({Value::from_int(1)}) != Value::make_list({Value::from_int(1)}));
  CHECK(Value::make_set({Value::from_int(1)}) == Value::make_set({Value::from_int(1)}, true));

  Value d = Value::make_dict();
  for (int i = 0; i < 100; ++i) d.insert(Value::from_int(i), Value::from_int(i * i));
  d.insert(Value::from_float(5.0), Value::from_str("five"));  // replaces key 5 in place
  CHECK(d.size() == 100);
  CHECK(d.at(std::int64_t{5}).as_str() == "five");
  CHECK(d.dict_items()[5].first.is_int());
  CHECK(d.at(std::int64_t{99}).as_int() == 9801);
  CHECK(d.find(std::int64_t{100}) == nullptr);
  CHECK(expect_load_error([&] { (void)d.at(std::int64_t{100}); }, {"missing key 100 in dict"}) == "");
  CHECK(expect_load_error([&] { (void)d.at("x'y"); }, {"missing key \"x'y\" in dict"}) == "");
  const Value l = Value::make_list({Value::from_int(1)});
  CHECK(expect_load_error([&] { (void)l.find("a"); }, {"expected dict, got list [1]"}) == "");
  CHECK(expect_load_error([&] { (void)l[3]; }, {"index 3 out of range for list of size 1"}) == "");
  CHECK(expect_load_error([&] { (void)s.as_int(); }, {"expected int, got str 'cifar10'"}) == "");

  // A pickled dict with a repeated key: lookups see the last value, as Python does.
  const Value dup = pk::loads(B({0x80, 2, '}', '(', 'K', 1, 'K', 10, 'K', 1, 'K', 20, 'u', '.'}));
  CHECK(dup.at(std::int64_t{1}).as_int() == 20);

  // repr follows Python.
  CHECK(Value::make_tuple({Value::from_str("cifar10"), Value::from_int(777)}).repr() == "('cifar10', 777)");
  CHECK(Value::make_tuple({Value::from_int(1)}).repr() == "(1,)");
  CHECK(Value::from_float(1e16).repr() == "1e+16");
  CHECK(Value::from_float(1e15).repr() == "1000000000000000.0");
  CHECK(Value::from_float(0.0001).repr() == "0.0001");
  CHECK(Value::from_float(0.00001).repr() == "1e-05");
  CHECK(Value::from_float(-2.5e-300).repr() == "-2.5e-300");
  CHECK(Value::from_float(28.172000009765625).repr() == "28.172000009765625");
  CHECK(Value::from_str("it's").repr() == "\"it's\"");
  CHECK(Value::from_bytes(std::string("\x00\x7f\x80'", 4)).repr() == "b\"\\x00\\x7f\\x80'\"");
  CHECK(Value::make_dict(true).repr() == "OrderedDict()");
  CHECK(Value::make_set().repr() == "set()");
  CHECK(Value::make_handle(3).repr() == "<handle 3>");
}

TEST_CASE("pickle: deep nesting neither overflows the stack nor hangs", "[pickle]") {
  std::string data = B({0x80, 2, ')'});
  data.append(200000, static_cast<char>(0x85));  // TUPLE1 around TUPLE1 around ...
  data += '.';
  int hooks = 0;
  pk::ReaderOptions opt;
  opt.on_complete = [&](Value&) { ++hooks; };
  {
    const Value v = pk::loads(data, opt);
    CHECK(hooks == 200001);
    CHECK(v.repr().find("...") != std::string::npos);
    CHECK(expect_load_error([&] { (void)(v == Value::make_tuple()); }, {}) ==
          "no exception");  // sizes differ early
    const Value w = pk::loads(data);
    CHECK(expect_load_error([&] { (void)(v == w); }, {"nested deeper than 1000 levels"}) == "");
  }  // destroying both must not recurse 200000 deep
}

TEST_CASE("pickle: every truncated prefix is a LoadError", "[pickle]") {
  const auto dir = need_fixtures();
  if (!dir) return;
  // In memory: each prefix of a protocol-4 pickle.
  {
    const std::string data = read_file(*dir / "basic_p4.pkl");
    std::vector<std::string> failures;
    for (std::size_t n = 0; n < data.size(); ++n) {
      try {
        (void)pk::loads(std::string_view(data).substr(0, n));
        failures.push_back(std::to_string(n) + ": no exception");
      } catch (const LoadError& e) {
        if (std::string(e.what()).find("truncated") == std::string::npos) failures.push_back(e.what());
        if (e.offset() > n) failures.push_back(std::to_string(n) + ": offset " + std::to_string(e.offset()));
      }
    }
    CHECK(failures.empty());
    if (!failures.empty()) INFO(failures.front());
  }
  // Files: each prefix through open() (plain, bz2, legacy torch.save, zip torch.save).
  const fs::path tmp = temp_dir().path / "prefix.bin";
  for (const char* name : {"basic_p2.pkl", "basic_p4.pbz2", "tensors_legacy.pth", "tensors_zip.pth"}) {
    INFO(name);
    const std::string data = read_file(*dir / name);
    const bool is_zip = std::string(name) == "tensors_zip.pth";
    std::vector<std::string> failures;
    for (std::size_t n = 0; n < data.size(); ++n) {
      write_file(tmp, std::string_view(data).substr(0, n));
      try {
        (void)pk::open(tmp.string());
        failures.push_back(std::to_string(n) + ": no exception");
      } catch (const LoadError& e) {
        const std::string msg = e.what();
        if (msg.find(tmp.string()) == std::string::npos)
          failures.push_back(std::to_string(n) + ": no path in " + msg);
        if (!is_zip && n > 0 && msg.find("truncated") == std::string::npos)
          failures.push_back(std::to_string(n) + ": " + msg);
      } catch (const std::exception& e) {
        failures.push_back(std::to_string(n) + ": wrong exception " + e.what());
      }
    }
    CAPTURE(failures.size());
    CHECK(failures.empty());
    if (!failures.empty()) CHECK(failures.front() == "");
  }
}

TEST_CASE("pickle: corrupt input is a LoadError naming the problem and the offset", "[pickle]") {
  struct Case {
    std::string data;
    std::string message;
    std::uint64_t offset;
  };
  const std::vector<Case> cases = {
      {B({0x80, 4, 0xff, '.'}), "unknown pickle opcode 0xff", 2},
      {B({0x80, 9, 'N', '.'}), "unsupported pickle protocol 9", 0},
      {B({0x80, 3, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', '.'}),
       "BINUNICODE length 2147483647 exceeds the remaining input (2 bytes)", 2},
      {B({0x80, 4, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, '.'}),
       "BINUNICODE8 length 9223372036854775808 exceeds the remaining input", 2},
      {B({0x80, 4, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '.'}),
       "BINBYTES8 length 18446744073709551615 exceeds", 2},
      {B({0x80, 2, 'h', 5, '.'}), "memo key 5 not defined (BINGET)", 2},
      {B({0x80, 2, 'j', 0, 0, 0, 1, '.'}), "memo key 16777216 not defined (LONG_BINGET)", 2},
      {B({0x80, 2, ']', '(', 'K', 1, 'K', 2, 'u', '.'}),
       "SETITEMS expects a dict below its items, got list []", 8},
      {B({0x80, 2, '}', 'K', 1, 'a', '.'}), "APPEND expects a list, got dict {}", 5},
      {B({0x80, 2, ']', 'K', 1, 'e', '.'}), "MARK missing: APPENDS needs a MARK", 5},
      {B({0x80, 2, 'a', '.'}), "stack underflow at APPEND", 2},
      {B({0x80, 2, '.'}), "stack underflow at STOP", 2},
      {B({0x80, 2, '(', '.'}), "stack underflow at STOP", 3},
      {B({0x80, 2, 'N', 'q', 1, 's', '.'}), "stack underflow at SETITEM", 5},
      {B({0x80, 2, '}', '(', 'K', 1, 'u', '.'}), "odd number of items for SETITEMS", 6},
      // the same errors inside an item batch long enough for Reader's item loop
      {B({0x80, 2, '}', '(', 'K', 1, 'h', 5, 'K', 2, 'K', 3, 'K', 4, 'K', 5, 'u', '.'}),
       "memo key 5 not defined (BINGET)", 6},
      {B({0x80, 2, '(', 'q', 1, 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', '.'}), "stack underflow at BINPUT", 3},
      {B({0x80, 2, '}', '(', 'K', 1, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'u', '.'}),
       "BINUNICODE length 2147483647 exceeds the remaining input (11 bytes)", 6},
      {B({0x80, 2, '}', '(', 'K', 1, 'G', 0, 0, 0, 0, 0, 0, 0, 0, 'K', 2, 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'N', 'u', '.'}),
       "odd number of items for SETITEMS", 25},
      {B({0x80, 2, 0x8f, '(', 'K', 1, 0x90, 0x85, 0x91, '.'}), "MARK missing: FROZENSET", 8},
      {B({0x80, 5, 0x97, '.'}), "out-of-band buffers (NEXT_BUFFER) are not supported", 2},
      {B({0x80, 2, 'N', 'Q', '.'}), "persistent id None needs a persistent_load", 3},
      {B({0x80, 2, 'K', 1, ')', 'R', '.'}), "REDUCE expects an allowed global to call, got int 1", 5},
      {"cos\nsystem\n(S'ls'\ntR.", "unsupported global \"os.system\"", 0},
      {B({0x80, 4, 0x8c, 5, 'p', 'o', 's', 'i', 'x', 0x8c, 6, 's', 'y', 's', 't', 'e', 'm', 0x93, '.'}),
       "unsupported global \"posix.system\"", 17},
      {"cbuiltins\neval\n.", "unsupported global \"builtins.eval\"", 0},
      {"(i__main__\nX\n.", "opcode INST (class instance) is not supported", 1},
      {"I12x\n.", "INT argument \"12x\" is not an integer", 0},
      {"S'abc\n.", "the STRING opcode argument must be quoted", 0},
      {B({0x80, 2,    'c', 'n', 'u', 'm', 'p', 'y', '\n', 'd',  't', 'y', 'p',
          'e',  '\n', 'X', 2,   0,   0,   0,   'O', '8',  0x85, 'R', '.'}),
       "unsupported numpy dtype \"O8\"", 23},
  };
  for (const auto& c : cases) {
    INFO("case " << Value::from_bytes(c.data).repr());
    CHECK(expect_load_error([&] { (void)pk::loads(c.data); }, {c.message, "<memory>"}) == "");
    CHECK(error_offset(c.data) == c.offset);
  }
}

TEST_CASE("pickle: corrupt files, unknown globals and absent files", "[pickle]") {
  CHECK(expect_load_error([] { (void)pk::open("/nonexistent/dir/x.pkl"); },
                          {"cannot open \"/nonexistent/dir/x.pkl\": No such file or directory"}) == "");
  CHECK(expect_load_error([] { (void)pk::detect_format("/nonexistent/x.pth"); },
                          {"cannot open", "No such file"}) == "");
  const fs::path tmp = temp_dir().path / "corrupt.bin";
  write_file(tmp, "");
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"empty file"}) == "");
  write_file(tmp, "hello world");
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); },
                          {"is not a pickle, bz2 or torch.save file (starts with 0x68)"}) == "");
  write_file(tmp, B({0x1f, 0x8b, 8, 0}));
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"gzip-compressed"}) == "");

  const auto dir = need_fixtures();
  if (!dir) return;
  CHECK(expect_load_error(
            [&] { (void)pk::open((*dir / "unsupported_global.pkl").string()); },
            {"unsupported global \"datetime.date\"", "unsupported_global.pkl", "(at byte offset 16)"}) == "");
  // A flipped byte inside the bz2 data.
  std::string bz = read_file(*dir / "basic_p4.pbz2");
  bz[bz.size() / 2] = static_cast<char>(bz[bz.size() / 2] ^ 0x55);
  write_file(tmp, bz);
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); }, {"corrupt bz2 data"}) == "");
  // A legacy storage whose element count disagrees with the pickle.
  std::string legacy = read_file(*dir / "tensors_legacy.pth");
  {
    const pk::Document doc = pk::open((*dir / "tensors_legacy.pth").string());
    const auto& rec = doc.storages.front();
    legacy[rec.offset - 8] = static_cast<char>(legacy[rec.offset - 8] + 1);
    write_file(tmp, legacy);
    CHECK(expect_load_error(
              [&] { (void)pk::open(tmp.string()); },
              {"storage \"" + rec.key + "\" holds 13 elements in the data but 12 in the pickle"}) == "");
  }
  // A zip whose storage record is missing.
  write_file(tmp, read_file(*dir / "tensors_zip.pth"));
  {
    int err = 0;
    zip_t* z = zip_open(tmp.string().c_str(), 0, &err);
    REQUIRE(z != nullptr);
    REQUIRE(zip_delete(z, static_cast<zip_uint64_t>(zip_name_locate(z, "tensors_zip/data/3", 0))) == 0);
    REQUIRE(zip_close(z) == 0);
  }
  CHECK(expect_load_error([&] { (void)pk::open(tmp.string()); },
                          {"storage \"3\" has no record \"tensors_zip/data/3\""}) == "");
}

TEST_CASE("pickle: sources", "[pickle]") {
  // A bz2 stream read through a memory source, read twice (seek back restarts it).
  const auto dir = need_fixtures();
  if (dir) {
    const std::string compressed = read_file(*dir / "big_multistream.pbz2");
    pk::Bz2Source bz(std::make_unique<pk::MemorySource>(compressed), {}, 4096);
    const Value a = pk::load(bz);
    REQUIRE(bz.seek(0));  // the window has moved on: decompression restarts
    const Value b = pk::load(bz);
    CHECK(a == b);
    CHECK(a.size() == 40);
    CHECK(bz.seek(100000));
    CHECK(bz.offset() == 100000);
    // A deflated zip entry read twice through a small buffer.
    const fs::path zpath = temp_dir().path / "deflated.zip";
    std::error_code ec;
    fs::remove(zpath, ec);
    const std::string pkl = read_file(*dir / "big_p4.pkl");
    {
      int err = 0;
      zip_t* z = zip_open(zpath.string().c_str(), ZIP_CREATE, &err);
      REQUIRE(z != nullptr);
      zip_source_t* src = zip_source_buffer(z, pkl.data(), pkl.size(), 0);
      REQUIRE(zip_file_add(z, "x/data.pkl", src, 0) >= 0);
      REQUIRE(zip_close(z) == 0);
    }
    pk::ZipEntrySource ze(pk::open_zip(zpath.string()), "x/data.pkl", zpath.string(), 4096);
    CHECK(*ze.size() == pkl.size());
    const Value c = pk::load(ze);
    REQUIRE(ze.seek(10));
    REQUIRE(ze.seek(0));
    CHECK(pk::load(ze) == c);
    CHECK(c == a);
    CHECK(expect_load_error(
              [&] { pk::ZipEntrySource bad(pk::open_zip(zpath.string()), "nope", zpath.string()); },
              {"zip entry \"nope\" not found"}) == "");
  }
  // Offsets beyond 4 GiB: a pickle written 5 GiB into a sparse file.
  const fs::path big = temp_dir().path / "sparse.bin";
  const std::uint64_t at = (std::uint64_t{5} << 30) + 3;
  bool made = false;
  {
    std::ofstream out(big, std::ios::binary);
    out.seekp(static_cast<std::streamoff>(at));
    const std::string tail = B({0x80, 2, ']', 'q', 0, '(', 'K', 1, 'K', 2, 'e', '.', 0x80, 2, ']'});
    out.write(tail.data(), static_cast<std::streamsize>(tail.size()));
    made = out.good();
  }
  if (!made || fs::file_size(big) != at + 15) {
    WARN("cannot write a sparse 5 GiB file here; skipping the large-offset check");
  } else {
    pk::FileSource f(big.string());
    CHECK(*f.size() == at + 15);
    REQUIRE(f.seek(at));
    pk::Reader r(f);
    const Value v = r.load();
    CHECK(v == Value::make_list({Value::from_int(1), Value::from_int(2)}));
    CHECK(r.stats().start_offset == at);
    CHECK(r.stats().end_offset == at + 12);
    try {
      (void)r.load();
      FAIL("no exception");
    } catch (const LoadError& e) {
      CHECK(e.offset() == at + 15);
      CHECK_THAT(e.what(), Contains("truncated pickle") && Contains(std::to_string(at + 15)));
    }
  }
  std::error_code ec;
  fs::remove(big, ec);
}

TEST_CASE("pickle: real NATS-Bench sample files", "[pickle]") {
  const auto data = shared_data();
  const fs::path tss = data ? *data / "nats-bench-sample" / "NATS-tss-v1_0-3ffb9-simple" : fs::path();
  if (!data || !fs::exists(tss / "meta.pickle.pbz2")) {
    WARN("NATS-Bench sample data not found (set NASBENCH_SHARED_DATA); skipping");
    return;
  }
  {
    const pk::Document meta = pk::open((tss / "meta.pickle.pbz2").string());
    CHECK(meta.format == pk::Format::kBz2Pickle);
    const Value& archs = meta.root.at("meta_archs");
    REQUIRE(archs.size() == 15625);
    CHECK(archs[0].as_str() ==
          "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
    CHECK(archs[15624].as_str() ==
          "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|");
    CHECK(meta.root.at("total_archs").as_int() == 15625);
    CHECK(meta.root.at("arch2infos").is_none());
    CHECK(meta.root.at("evaluated_indexes").kind() == Kind::kSet);
    CHECK(meta.root.at("evaluated_indexes").size() == 0);
  }
  const auto key = [](const char* dataset, std::int64_t seed) {
    return Value::make_tuple({Value::from_str(dataset), Value::from_int(seed)});
  };
  for (const bool prescan : {false, true}) {
    pk::ReaderOptions opt;
    opt.prescan_memo = prescan;
    const pk::Document doc = pk::open((tss / "000000.pickle.pbz2").string(), opt);
    const Value& root = doc.root;
    REQUIRE(root.is_ordered_dict());
    REQUIRE(root.size() == 2);
    CHECK(root.dict_items()[0].first.as_str() == "12");
    CHECK(root.dict_items()[1].first.as_str() == "200");
    const Value& a12 = root.at("12");
    CHECK(a12.at("arch_index").as_int() == 0);
    CHECK(a12.at("clear_net_done").as_bool());
    CHECK(a12.at("dataset_seed").at("cifar10-valid") ==
          Value::make_list({Value::from_int(111), Value::from_int(777)}));
    CHECK(a12.at("all_results").dict_items()[0].first.repr() == "('cifar10-valid', 777)");
    const Value& r = a12.at("all_results").at(key("cifar10-valid", 777));
    CHECK(r.at("train_acc1es").at(std::int64_t{0}).as_float() == 28.172000009765625);
    CHECK(r.at("train_acc1es").at(std::int64_t{11}).as_float() == 63.92000001708984);
    CHECK(r.at("train_losses").at(std::int64_t{0}).as_float() == 1.8994598120498658);
    CHECK(r.at("eval_acc1es").at("ori-test@11").as_float() == 62.82);
    CHECK(r.at("params").as_float() == 0.129306);  // a numpy.float64
    CHECK(r.at("flop").as_float() == 15.64737);
    CHECK(r.at("latency") == Value::make_list({Value::from_float(0.0139359758611311)}));
    CHECK(r.at("epochs").as_int() == 12);
    CHECK(r.at("seed").as_str() == "0777");
    CHECK(r.at("train_times").is_ordered_dict());
    CHECK(r.at("net_state_dict").is_none());
    const Value& r200 = root.at("200").at("all_results").at(key("ImageNet16-120", 888));
    CHECK(r200.at("epochs").as_int() == 200);
    CHECK(r200.at("train_acc1es").at(std::int64_t{199}).as_float() == 27.69347396317484);
    CHECK(r200.at("eval_acc1es").at("x-test@199").as_float() == 25.766666610717774);
    CHECK(r200.at("params").as_float() == 0.136456);
    CHECK(r200.at("train_times").at(std::int64_t{5}).as_float() == 43.817592317819596);
    CHECK(root.at("200").at("all_results").size() == 12);
  }
  // The hook turns every ResultsCount into a handle as it completes.
  int results = 0;
  pk::ReaderOptions opt;
  opt.on_complete = [&](Value& v) {
    if (v.is_dict() && v.find("train_acc1es") != nullptr) {
      v.become_handle(results++,
                      std::make_shared<double>(v.at("train_acc1es").at(std::int64_t{0}).as_float()));
    }
  };
  const Value root = pk::open((tss / "000000.pickle.pbz2").string(), opt).root;
  CHECK(results == 17);
  const Value& h = root.at("12").at("all_results").at(key("cifar10-valid", 777));
  REQUIRE(h.is_handle());
  CHECK(*std::static_pointer_cast<double>(h.handle_payload()) == 28.172000009765625);

  const fs::path sss = *data / "nats-bench-sample" / "NATS-sss-v1_0-50262-simple";
  if (fs::exists(sss / "meta.pickle.pbz2")) {
    const Value meta = pk::open((sss / "meta.pickle.pbz2").string()).root;
    CHECK(meta.at("meta_archs").size() == 32768);
    CHECK(meta.at("meta_archs")[0].as_str() == "8:8:8:8:8");
    const Value a = pk::open((sss / "000000.pickle.pbz2").string()).root;
    CHECK(a.size() == 3);
    const Value& r = a.at("90").at("all_results").at(key("cifar10-valid", 777));
    CHECK(r.at("train_acc1es").at(std::int64_t{89}).as_float() == 79.41599998046875);
    CHECK(r.at("arch_config").at("name").as_str() == "infer.shape.tiny");
    CHECK(r.at("flop").as_float() == 4.481114);
  }
}

TEST_CASE("pickle: attributes of a dict subclass (state_dict's _metadata) are dropped, items kept", "[pickle]") {
  // pickle.dumps(od, 2) of OrderedDict(a=1) with od._metadata = {'x': 1}, as every PyTorch state_dict has.
  const std::string hex =
      "800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006171024b01737d710358090000005f6d"
      "6574616461746171047d710558010000007871064b017373622e";
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  const nasbench::pickle::Value v = nasbench::pickle::loads(bytes);
  REQUIRE(v.is_ordered_dict());
  CHECK(v.size() == 1);
  CHECK(v.at("a").as_int() == 1);
  CHECK(v.find("_metadata") == nullptr);
}
