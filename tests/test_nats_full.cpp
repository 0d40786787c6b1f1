// NATS-Bench `-full` archives without LibTorch: tensors in plain pickles
// (torch.storage._load_from_bytes), their storages read from memory, and
// reload() of the NATS layout. Fixtures: tests/fixtures/make_full_fixtures.py
// (the real pickle and torch) in <fixtures>/full.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "nasbench/nasbench.hpp"
#include "support.hpp"

namespace pk = nasbench::pickle;
using nasbench::LoadError;
using nlohmann::json;

namespace {

std::string full_fixtures() { return nasbench_test::pickle_fixtures() + "/../full"; }

json manifest() {
  std::ifstream in(full_fixtures() + "/manifest.json");
  return json::parse(in);
}

const pk::StorageRecord& record_of(const std::vector<pk::StorageRecord>& records, const std::string& key) {
  for (const auto& r : records)
    if (r.key == key) return r;
  FAIL("no storage record \"" << key << "\"");
  throw;  // unreachable
}

// The tensor's elements in row-major order, read from its storage's bytes.
std::vector<double> elements(const pk::TensorInfo& t, const pk::StorageRecord& rec) {
  const std::vector<std::uint8_t> bytes = pk::read_storage_bytes(rec);
  std::vector<double> out;
  const std::int64_t n = t.numel();
  std::vector<std::int64_t> idx(t.sizes.size(), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t at = t.storage_offset;
    for (std::size_t d = 0; d < idx.size(); ++d) at += idx[d] * t.strides[d];
    const std::uint8_t* p = bytes.data() + at * static_cast<std::int64_t>(pk::element_size(t.dtype));
    switch (t.dtype) {
      case pk::ScalarType::kFloat32: { float f; std::memcpy(&f, p, 4); out.push_back(f); break; }
      case pk::ScalarType::kFloat64: { double f; std::memcpy(&f, p, 8); out.push_back(f); break; }
      case pk::ScalarType::kInt64: { std::int64_t v; std::memcpy(&v, p, 8); out.push_back(static_cast<double>(v)); break; }
      default: FAIL("unexpected dtype " << pk::to_string(t.dtype));
    }
    for (std::size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < t.sizes[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

// One tensor against its manifest entry: dtype, shape, strides, offset, first values, sum.
void check_tensor(const pk::Value& v, const std::vector<pk::StorageRecord>& records, const json& want) {
  REQUIRE(v.is_tensor());
  const pk::TensorInfo& t = v.as_tensor();
  CHECK(pk::to_string(t.dtype) == want["dtype"].get<std::string>());
  CHECK(t.sizes == want["shape"].get<std::vector<std::int64_t>>());
  CHECK(t.strides == want["stride"].get<std::vector<std::int64_t>>());
  CHECK(t.storage_offset == want["offset"].get<std::int64_t>());
  const std::vector<double> xs = elements(t, record_of(records, t.storage_info().key));
  double sum = 0;
  for (double x : xs) sum += x;
  CHECK(sum == Approx(want["sum"].get<double>()).epsilon(1e-9).margin(1e-9));
  const auto first = want["values"].get<std::vector<double>>();
  REQUIRE(xs.size() >= first.size());
  for (std::size_t i = 0; i < first.size(); ++i) CHECK(xs[i] == first[i]);
}

}  // namespace

TEST_CASE("nats_full: tensors of a plain pickle carry torch.save'd storages, read from memory", "[nats_full][pickle]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/manifest.json")) return;
  const json m = manifest()["tensors.pickle"];
  const pk::Document doc = pk::open(full_fixtures() + "/tensors.pickle");
  CHECK(doc.format == pk::Format::kPickle);
  REQUIRE(doc.root.is_ordered_dict());
  CHECK(doc.storages.size() == m["storages"].get<std::size_t>());
  std::vector<std::string> keys;
  for (const auto& [k, v] : doc.root.dict_items()) {
    keys.emplace_back(k.as_str());
    CAPTURE(keys.back());
    check_tensor(v, doc.storages, m["keys"][keys.back()]);
  }
  CHECK(keys == m["order"].get<std::vector<std::string>>());
  // Views of one storage object keep one storage; the zip container is read from memory.
  CHECK(doc.root.at("shared").as_tensor().storage_info().key == doc.root.at("shared_t").as_tensor().storage_info().key);
  CHECK(doc.root.at("weight").as_tensor().storage_info().key != doc.root.at("shared").as_tensor().storage_info().key);
  const auto& zip = record_of(doc.storages, doc.root.at("zip64").as_tensor().storage_info().key);
  CHECK(zip.zip_entry == "archive/data/0");
  CHECK(zip.memory != nullptr);
  CHECK(zip.path == doc.path);
  CHECK(zip.key.rfind("bytes@", 0) == 0);
}

TEST_CASE("nats_full: loads() of a tensor needs a storage loader; open_memory installs one", "[nats_full][pickle]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/tensors.pickle")) return;
  std::ifstream in(full_fixtures() + "/tensors.pickle", std::ios::binary);
  auto data = std::make_shared<const std::string>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  CHECK_THROWS_WITH(pk::loads(*data), Catch::Contains("torch.storage._load_from_bytes (a tensor pickled without "
                                                      "torch.save) needs a storage loader"));
  const pk::Document doc = pk::open_memory(data, "tensors");
  CHECK(doc.storages.size() == 5);
  const json m = manifest()["tensors.pickle"];
  check_tensor(doc.root.at("num_batches_tracked"), doc.storages, m["keys"]["num_batches_tracked"]);
  check_tensor(doc.root.at("shared_t"), doc.storages, m["keys"]["shared_t"]);
}

TEST_CASE("nats_full: broken storage bytes are LoadErrors naming the file and offset", "[nats_full][pickle][errors]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/manifest.json")) return;
  const json m = manifest();
  int checked = 0;
  for (const auto& [name, entry] : m.items()) {
    if (name.rfind("bad_", 0) != 0) continue;
    CAPTURE(name);
    const std::string path = full_fixtures() + "/" + name;
    try {
      (void)pk::open(path);
      FAIL("no error");
    } catch (const LoadError& e) {
      const std::string what = e.what();
      CHECK_THAT(what, Catch::Contains(entry["message"].get<std::string>()));
      CHECK_THAT(what, Catch::Contains(path));
      CHECK(e.offset() != LoadError::kNoOffset);
      if (!entry["key"].is_null()) CHECK_THAT(what, Catch::StartsWith("nasbench: torch.storage._load_from_bytes in \"" + path + "\": "));
    }
    ++checked;
  }
  CHECK(checked == 6);
  CHECK_THROWS_WITH(pk::open(full_fixtures() + "/bad_truncated.pickle"),
                    Catch::Contains("truncated torch.save data: storage \"") && Catch::Contains("needs 12 bytes"));
}

TEST_CASE("nats_full: a stored bytes object read back by the memo is one storage, opened once", "[nats_full][pickle][limits]") {
  // PROTO 4; _load_from_bytes(b) MEMOIZE'd as b; then [_rebuild_tensor_v2(GET storage ...) x 2000]
  // built by hand: 2000 REDUCEs of the same bytes object must not copy the blob 2000 times.
  if (!nasbench_test::require_fixture(full_fixtures() + "/tensors.pickle")) return;
  // The fixture's first storage bytes: find them by their legacy magic in the file.
  std::ifstream in(full_fixtures() + "/tensors.pickle", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t at = file.find("\x80\x02\x8a\x0al\xfc\x9c", 0);
  REQUIRE(at != std::string::npos);
  const auto len = static_cast<unsigned char>(file[at - 4]) | static_cast<unsigned char>(file[at - 3]) << 8;
  const std::string blob = file.substr(at, static_cast<std::size_t>(len));
  std::string p = "\x80\x04";
  p += "\x8c\x0dtorch.storage\x8c\x10_load_from_bytes\x93";  // the callable
  p += "\x94";                                                // memo 0: the callable
  p += "B";
  for (int i = 0; i < 4; ++i) p += static_cast<char>((blob.size() >> (8 * i)) & 0xff);
  p += blob + "\x94";  // memo 1: the bytes
  p += "\x85R0]";      // call once, drop it; an empty list
  p += "(";
  const std::string call("h\0h\x01\x85R", 6);  // GET callable, GET bytes, TUPLE1, REDUCE
  for (int i = 0; i < 2000; ++i) p += call;
  p += "e.";
  const pk::Document doc = pk::open_memory(std::make_shared<const std::string>(p), "repeat");
  REQUIRE(doc.root.is_list());
  CHECK(doc.root.size() == 2000);
  CHECK(doc.storages.size() == 1);
  CHECK(doc.root[0].as_storage().key == doc.root[1999].as_storage().key);
}

TEST_CASE("nats_full: reload() reads NATS -full archives (padded and unpadded names) into the API", "[nats_full][io]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/manifest.json")) return;
  const json m = manifest()["archives"];
  const std::string simple = full_fixtures() + "/" + m["simple"].get<std::string>();
  const std::string full = full_fixtures() + "/" + m["full"].get<std::string>();
  auto api = nasbench::NASBench201API::load(simple);
  for (const auto& r : m["runs"])
    CHECK(api.get_net_param(r["index"].get<int>(), r["dataset"].get<std::string>(), r["seed"].get<int>(),
                            r["hp"].get<std::string>()) == nullptr);
  const double flop_before = api.query_by_index(11, "cifar100", "12").front().second->flop;
  for (int index : m["indexes"].get<std::vector<int>>()) api.reload(full, index);
  CHECK(api.query_by_index(11, "cifar100", "12").front().second->flop == flop_before);  // the same results
  CHECK(api.hps(284) == std::vector<std::string>{"12", "200"});
  int with = 0;
  for (const auto& r : m["runs"]) {
    CAPTURE(r["index"], r["hp"], r["dataset"], r["seed"]);
    const nasbench::NetState* w =
        api.get_net_param(r["index"].get<int>(), r["dataset"].get<std::string>(), r["seed"].get<int>(), r["hp"].get<std::string>());
    if (!r["weights"].get<bool>()) {
      CHECK(w == nullptr);
      continue;
    }
    ++with;
    REQUIRE(w != nullptr);
    REQUIRE(w->state_dict.is_ordered_dict());
    CHECK(w->state_dict.size() == r["entries"].get<std::size_t>());
    for (const auto& [key, want] : r["keys"].items()) {
      CAPTURE(key);
      check_tensor(w->state_dict.at(key), w->storages->records, want);
    }
    for (const auto& [k, v] : w->state_dict.dict_items()) CHECK(v.is_tensor());
  }
  CHECK(with == 4);
}

TEST_CASE("nats_full: reload() errors: missing files name every path tried, a bad file changes nothing", "[nats_full][io][errors]") {
  if (!nasbench_test::require_fixture(full_fixtures() + "/manifest.json")) return;
  const json m = manifest()["archives"];
  const std::string full = full_fixtures() + "/" + m["full"].get<std::string>();
  const std::string broken = full_fixtures() + "/" + m["broken"].get<std::string>();
  auto api = nasbench::NASBench201API::load(full_fixtures() + "/" + m["simple"].get<std::string>());
  CHECK_THROWS_WITH(api.reload(full, 5),
                    "nasbench: invalid data path \"" + full + "/000005-FULL.pth\" (no such archive file); also tried \"" +
                        full + "/000005.pickle.pbz2\", \"" + full + "/5.pickle.pbz2\"");
  CHECK_THROWS_WITH(api.reload(full, 0 - 1), Catch::Contains("invalid architecture index -1"));
  // Index nullopt: every architecture in turn, as nats_bench does; index 0 is replaced, 1 has no file.
  CHECK_THROWS_WITH(api.reload(full), Catch::Contains("/000001-FULL.pth\" (no such archive file)"));
  const int bi = m["broken_index"].get<int>();
  CHECK(api.get_net_param(bi, "cifar10-valid", 777, "12") != nullptr);
  try {
    api.reload(broken, bi);
    FAIL("no error");
  } catch (const LoadError& e) {
    CHECK_THAT(e.what(), Catch::Contains("torch.storage._load_from_bytes in \"" + broken + "/000000.pickle.pbz2\"") &&
                             Catch::Contains("truncated torch.save data"));
    CHECK(e.offset() != LoadError::kNoOffset);
  }
  CHECK(api.get_net_param(bi, "cifar10-valid", 777, "12") != nullptr);  // untouched
  CHECK(api.hps(bi).size() == 2);
}
