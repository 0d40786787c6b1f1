// Tests of nasbench/pickle/source.hpp: memory, file, mapped, bz2 and zip sources (tags [pickle][source]).

#include "pickle_support.hpp"

TEST_CASE("pickle: sources", "[pickle][source]") {
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
