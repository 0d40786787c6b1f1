"""`nasbench info/show/best/query` on the generated benchmark fixtures.

Usage: python3 tests/test_cli_benchmark.py PATH/TO/nasbench FIXTURE_DIR
"""
import json
import os
import subprocess
import sys
import unittest

EXE = FX = None


def run(*args, stdin=None, env=None):
    e = dict(os.environ)
    e.pop("NASBENCH_FILE", None)
    e.update(env or {})
    p = subprocess.run([EXE, *args], input=stdin, capture_output=True, text=True, timeout=120, env=e)
    return p.returncode, p.stdout, p.stderr


def close(a, b, rel=1e-12):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return a == b or abs(a - b) <= rel * abs(a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and set(a) == set(b) and all(close(a[k], b[k], rel) for k in a)
    return a == b


def expected(name):
    with open(os.path.join(FX, name)) as f:
        return [json.loads(l) for l in f]


class Query(unittest.TestCase):
    def check_all(self, data, records, extra=(), rel=1e-12):
        stdin = "".join(json.dumps(r["request"]) + "\n" for r in records)
        rc, out, err = run(*extra, "query", os.path.join(FX, data), stdin=stdin)
        self.assertEqual(rc, 0, err)
        replies = [json.loads(l) for l in out.splitlines()]
        self.assertEqual(len(replies), len(records))
        bad = [(r["request"], got) for r, got in zip(records, replies)
               if not (("error" in r["response"] and got.get("error", {}).get("type") == r["response"]["error"]["type"])
                       or ("result" in r["response"] and "result" in got
                           and close(r["response"]["result"], got["result"], rel)))]
        self.assertEqual(bad[:3], [])

    def test_every_expected_answer_through_the_cli(self):
        self.check_all("tiny.pth", expected("tiny.expected.jsonl"))
        self.check_all("v10.pth", expected("v10.expected.jsonl"))

    def test_float_tables_answer_within_float_rounding(self):
        records = [r for r in expected("tiny.nats.expected.jsonl")
                   if r["request"]["fn"] in ("get_metrics", "get_more_info", "get_cost_info")]
        self.check_all("tiny.pickle.pbz2", records, extra=("--float",), rel=1e-6)  # NATS semantics

    def test_nats_containers_answer_with_nats_semantics(self):
        records = expected("tiny.nats.expected.jsonl")
        self.check_all("tiny.pickle.pbz2", records)
        self.check_all("tiny_dir", records)
        # Fast mode reads a file per architecture: one that has none is a LoadError ("Error"), not "not evaluated".
        fast = [r for r in records if r["request"]["fn"] in ("get_more_info", "get_cost_info", "get_metrics")
                and "result" in r["response"]]
        self.check_all("tiny_dir", fast, extra=("--fast-mode",))

    def test_interactive_one_reply_per_line_and_errors_keep_going(self):
        p = subprocess.Popen([EXE, "query", os.path.join(FX, "tiny.pth")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        try:
            for line, check in (
                ('{"fn": "len"}', lambda r: r == {"result": 15625}),
                ("this is not json", lambda r: r["error"]["type"] == "RequestError" and "invalid JSON" in r["error"]["message"]),
                ('{"fn": "nope", "args": {}}', lambda r: r["error"]["type"] == "RequestError"),
                ('{"fn": "arch", "args": {"index": 99999}}', lambda r: r["error"]["type"] == "QueryError"
                 and "99999" in r["error"]["message"]),
                ('{"fn": "arch", "args": {"idx": 1}}', lambda r: r["error"]["type"] == "RequestError"
                 and '"idx"' in r["error"]["message"]),
                ('{"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar1O", "hp": "200"}}',
                 lambda r: r["error"]["type"] == "QueryError" and "cifar1O" in r["error"]["message"]),
                ('{"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar10", "hp": 200, "is_random": true}}',
                 lambda r: "train-accuracy" in r["result"]),
                ("", lambda r: r["error"]["type"] == "RequestError"),
                ('{"fn": "query_index_by_arch", "args": {"arch": "|none~0|"}}', lambda r: r == {"result": -1}),
            ):
                p.stdin.write(line + "\n")
                p.stdin.flush()
                reply = json.loads(p.stdout.readline())  # answered before the next line is sent
                self.assertTrue(check(reply), (line, reply))
        finally:
            p.stdin.close()
            self.assertEqual(p.wait(timeout=30), 0)

    def test_any_bytes_get_exactly_one_valid_reply_and_the_process_goes_on(self):
        # Each of these once killed the process (terminate, SIGSEGV) or was answered wrongly.
        len_ok = lambda r: r == {"result": 15625}
        req_err = lambda text: (lambda r: r["error"]["type"] == "RequestError" and text in r["error"]["message"])
        query_err = lambda text: (lambda r: r["error"]["type"] == "QueryError" and text in r["error"]["message"])
        cases = [
            (b'{"fn":"arch\xff","args":{}}', req_err("\\xFF")),
            (b"\xff\xfe", req_err("invalid JSON")),
            (b'{"fn":"arch","args":{"index":"\xe2\x82"}}', req_err("\\xE2\\x82")),
            (b'{"fn":"arch","args":{"index":1e999}}', req_err("number overflow")),
            (b'{"fn":"arch","args":{"index":' + b"[" * 200000 + b"]" * 200000 + b"}}", req_err("nested deeper")),
            (b'{"fn":"get_more_info","args":{"index":0,"dataset":"cifar10","hp":4294967496}}',
             query_err('unknown hp "4294967496"')),
            (b'{"fn":"get_train","args":{"index":0,"dataset":"cifar10","hp":"200","seed":4294968073}}',
             query_err("4294968073")),
            (b'{"fn":"len","args":{}}\x00garbage', req_err("NUL byte")),
            (b'{"fn":"len","fn":"arch","args":{}}', req_err("duplicate key")),
            (b"   ", req_err("empty request line")),
            (b"x" * (3 << 20), req_err("longer than 1048576 bytes")),
            (b'{"fn":"len","args":{}}\r', len_ok),
        ]
        stdin = b"".join(line + b"\n" + b'{"fn":"len","args":{}}\n' for line, _ in cases)
        stdin += b'{"fn":"len","args":{}}'  # no final newline
        p = subprocess.run([EXE, "query", os.path.join(FX, "tiny.pth")], input=stdin, capture_output=True, timeout=120)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        replies = [json.loads(line.decode("utf-8")) for line in p.stdout.split(b"\n")[:-1]]
        self.assertEqual(len(replies), 2 * len(cases) + 1)
        for k, (line, check) in enumerate(cases):
            self.assertTrue(check(replies[2 * k]), (line[:60], replies[2 * k]))
            self.assertTrue(len_ok(replies[2 * k + 1]), (line[:60], replies[2 * k + 1]))
        self.assertTrue(len_ok(replies[-1]))

    def test_random_choices_follow_the_seed(self):
        req = '{"fn": "get_more_info", "args": {"index": 0, "dataset": "cifar10-valid", "hp": "200"}}\n' * 20
        outs = [run("query", "--seed", s, os.path.join(FX, "tiny.pth"), stdin=req)[1] for s in ("1", "1", "2")]
        self.assertEqual(outs[0], outs[1])
        self.assertGreater(len(set(outs[0].splitlines())), 1)  # three seeds to choose from


class Commands(unittest.TestCase):
    def test_info(self):
        rc, out, err = run("info", os.path.join(FX, "tiny.pth"))
        self.assertEqual(rc, 0, err)
        self.assertIn("NASBench201API(6/15625 architectures, file=tiny.pth)", out)
        self.assertIn("hp 200", out)
        rc, out, _ = run("info", "--json", os.path.join(FX, "tiny_dir"))
        info = json.loads(out)
        self.assertEqual(info["evaluated"], 6)
        self.assertEqual(info["hps"]["200"]["cifar10-valid"], {"1": 5, "3": 1})

    def test_file_from_environment(self):
        rc, out, _ = run("info", env={"NASBENCH_FILE": os.path.join(FX, "tiny.pickle")})
        self.assertEqual(rc, 0)
        self.assertIn("NATStopology(6/15625", out)

    def test_best_matches_find_best(self):
        records = [r for r in expected("tiny.expected.jsonl")
                   if r["request"]["fn"] == "find_best" and "result" in r["response"]]
        self.assertGreater(len(records), 5)
        for r in records[:8]:
            a = r["request"]["args"]
            args = ["best", os.path.join(FX, "tiny.pth"), "--dataset", a["dataset"], "--metric-on-set",
                    a["metric_on_set"], "--hp", str(a.get("hp", "12")), "--json"]
            if a.get("FLOP_max") is not None:
                args += ["--flop-max", repr(a["FLOP_max"])]
            if a.get("Param_max") is not None:
                args += ["--param-max", repr(a["Param_max"])]
            rc, out, err = run(*args)
            self.assertEqual(rc, 0, err)
            got = json.loads(out)
            self.assertTrue(close(r["response"]["result"], [got["index"], got["accuracy"]]), (a, got))

    def test_best_limits_must_be_finite_decimal_numbers(self):
        for value in ("nan", "inf", "-inf", "", "0x10", "1e999", "12abc"):
            for flag in ("--flop-max", "--param-max"):
                rc, out, err = run("best", os.path.join(FX, "tiny.pth"), "--dataset", "cifar10",
                                   "--metric-on-set", "test", flag, value)
                self.assertEqual((rc, out), (2, ""), (flag, value))
                self.assertIn("expected a finite decimal number", err)
        rc, out, _ = run("best", os.path.join(FX, "tiny.pth"), "--dataset", "cifar10", "--metric-on-set", "test",
                         "--flop-max", "-5")
        self.assertEqual((rc, out), (0, "no architecture satisfies the constraints\n"))

    def test_show(self):
        rc, out, _ = run("show", os.path.join(FX, "tiny.pth"), "284")
        self.assertEqual(rc, 0)
        self.assertIn(" 012 epochs ", out)
        self.assertIn(" 200 epochs ", out)
        self.assertRegex(out, r"cifar10-valid  FLOP= *[0-9.]+ M, Params=[0-9.]+ MB, latency=")
        self.assertIn("train : [loss = ", out)
        rc, out, _ = run("show", os.path.join(FX, "tiny.pth"), "5")
        self.assertEqual(out, "The 5-th architecture has not been evaluated or not saved.\n")

    def test_errors(self):
        rc, _, err = run("info", "/nonexistent/file.pth")
        self.assertEqual(rc, 1)
        self.assertIn('"/nonexistent/file.pth"', err)
        rc, _, err = run("info")
        self.assertEqual(rc, 2)
        self.assertIn("NASBENCH_FILE", err)
        rc, _, err = run("best", os.path.join(FX, "tiny.pth"), "--dataset", "cifar1O", "--metric-on-set", "test")
        self.assertEqual(rc, 1)
        self.assertIn('unknown dataset "cifar1O"', err)
        rc, _, err = run("best", os.path.join(FX, "tiny.pth"), "--dataset", "cifar10")
        self.assertEqual(rc, 2)
        rc, _, err = run("info", FX)  # a directory without meta.pickle.pbz2
        self.assertEqual(rc, 1)
        self.assertIn("has no meta.pickle.pbz2", err)


class Convert(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = os.path.join(self.tmp.name, "tiny.cache")

    def tearDown(self):
        self.tmp.cleanup()

    def test_a_cache_answers_every_query_as_the_original(self):
        rc, out, err = run("convert", os.path.join(FX, "tiny.pth"), self.cache)
        self.assertEqual(rc, 0, err)
        self.assertIn("wrote " + self.cache, out)
        Query.check_all(self, self.cache, expected("tiny.expected.jsonl"))
        rc1, info1, _ = run("info", "--json", os.path.join(FX, "tiny.pth"))
        rc2, info2, _ = run("info", "--json", self.cache)
        self.assertEqual((rc1, rc2), (0, 0))
        self.assertEqual(json.loads(info1)["hps"], json.loads(info2)["hps"])

    def test_float_convert_stores_what_float_tables_answer(self):
        # --float convert: single-precision tables, their answers stored; a --float reader of that cache
        # answers byte for byte as --float on the original, and so does one of a double cache.
        double_cache = os.path.join(self.tmp.name, "double.cache")
        for extra, out in ((("--float",), self.cache), ((), double_cache)):
            rc, _, err = run(*extra, "convert", os.path.join(FX, "tiny.pth"), out)
            self.assertEqual(rc, 0, err)
        stdin = "".join(json.dumps(r["request"]) + "\n" for r in expected("tiny.expected.jsonl")
                        if r["request"]["fn"] in ("get_more_info", "get_cost_info", "statistics", "find_best"))
        rc, want, err = run("--float", "query", os.path.join(FX, "tiny.pth"), stdin=stdin)
        self.assertEqual(rc, 0, err)
        self.assertGreater(len(want.splitlines()), 100)
        for cache in (self.cache, double_cache):
            rc, got, err = run("--float", "query", cache, stdin=stdin)
            self.assertEqual(rc, 0, err)
            self.assertEqual(got, want)
        self.assertNotEqual(open(self.cache, "rb").read(), open(double_cache, "rb").read())

    def test_verify_checks_every_block(self):
        rc, _, err = run("convert", os.path.join(FX, "tiny.pth"), self.cache)
        self.assertEqual(rc, 0, err)
        rc, out, err = run("verify", "--json", self.cache)
        self.assertEqual(rc, 0, err)
        report = json.loads(out)
        self.assertTrue(report["ok"])
        self.assertEqual(report["bytes"], os.path.getsize(self.cache))
        self.assertGreater(report["with_results"], 0)
        self.assertGreater(report["columns"], 0)
        self.assertGreater(report["summaries"], 0)
        rc, out, _ = run("verify", self.cache)
        self.assertEqual(rc, 0)
        self.assertIn("intact", out)
        # One byte of the first data block (right after the 96-byte header):
        # `info` does not read it, `verify` finds it.
        with open(self.cache, "rb") as f:
            data = bytearray(f.read())
        data[96 + 1] ^= 0x10
        with open(self.cache, "wb") as f:
            f.write(bytes(data))
        rc, _, err = run("info", self.cache)
        self.assertEqual(rc, 0, err)
        rc, out, err = run("verify", self.cache)
        self.assertEqual(rc, 1)
        self.assertIn("checksum mismatch in the data block of architecture", err)
        self.assertIn("at byte", err)
        rc, _, err = run("verify")
        self.assertEqual(rc, 2)

    def test_convert_errors_leave_no_file(self):
        rc, _, err = run("convert", "/nonexistent/file.pth", self.cache)
        self.assertEqual(rc, 1)
        self.assertIn('"/nonexistent/file.pth"', err)
        self.assertFalse(os.path.exists(self.cache))
        self.assertFalse(os.path.exists(self.cache + ".tmp"))
        rc, _, _ = run("convert", os.path.join(FX, "tiny.pth"))  # no OUT
        self.assertEqual(rc, 2)
        with open(self.cache, "wb") as f:
            f.write(b"NB201CAC" + bytes(10))
        rc, _, err = run("info", self.cache)
        self.assertEqual(rc, 1)
        self.assertIn("truncated header", err)

    def test_load_only_some_hps_and_datasets(self):
        records = [r for r in expected("tiny.expected.jsonl")
                   if r["request"]["fn"] == "get_more_info" and r["request"]["args"].get("hp") == "200"
                   and r["request"]["args"].get("dataset") == "cifar100"]
        self.assertTrue(records)
        Query.check_all(self, "tiny.pth", records, extra=("--load-hp", "200", "--load-dataset", "cifar100"))
        stdin = json.dumps({"fn": "get_more_info", "args": {"index": records[0]["request"]["args"]["index"],
                                                            "dataset": "cifar10", "hp": "200"}}) + "\n"
        rc, out, _ = run("--load-hp", "200", "--load-dataset", "cifar100", "query", os.path.join(FX, "tiny.pth"),
                         stdin=stdin)
        self.assertEqual(rc, 0)
        self.assertIn('dataset \\"cifar10\\" was not loaded', out)

    def test_final_epoch_only(self):
        # Every expected answer at the last epoch (iepoch absent) is the same;
        # an earlier epoch is named as not loaded.
        records = [r for r in expected("tiny.expected.jsonl")
                   if r["request"]["fn"] in ("get_more_info", "get_cost_info", "find_best", "statistics",
                                             "get_latency", "get_times", "get_dataset_seeds")
                   and r["request"]["args"].get("iepoch") is None]
        self.assertGreater(len(records), 20)
        Query.check_all(self, "tiny.pth", records, extra=("--final-epoch-only",))
        index = next(r["request"]["args"]["index"] for r in records if r["request"]["fn"] == "get_more_info"
                     and r["request"]["args"].get("hp") == "200" and "result" in r["response"])
        stdin = json.dumps({"fn": "get_train", "args": {"index": index, "hp": "200", "dataset": "cifar10",
                                                         "seed": 777, "iepoch": 3}}) + "\n"
        rc, out, _ = run("--final-epoch-only", "query", os.path.join(FX, "tiny.pth"), stdin=stdin)
        self.assertEqual(rc, 0)
        reply = json.loads(out)
        self.assertEqual(reply.get("error", {}).get("type"), "QueryError", out)
        self.assertIn("was not loaded (LoadOptions::final_epoch_only", reply["error"]["message"])
        rc, _, err = run("--final-epoch-only", "convert", os.path.join(FX, "tiny.pth"), self.cache)
        self.assertEqual(rc, 2)
        self.assertIn("--final-epoch-only", err)
        self.assertFalse(os.path.exists(self.cache))


class HostileFiles(unittest.TestCase):
    """Small files that are costly to read: each is rejected with a clear error
    in bounded time and memory (peak RSS of the process, from wait4)."""

    def setUp(self):
        import tempfile
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_measured(self, path):
        """(exit status, stderr, peak RSS in MiB) of `nasbench info PATH`."""
        import time
        err_path = os.path.join(self.tmp.name, "stderr")
        with open(err_path, "wb") as err:
            p = subprocess.Popen([EXE, "info", path], stdout=subprocess.DEVNULL, stderr=err)
            deadline = time.monotonic() + 120
            while True:
                pid, status, usage = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
                    break
                if time.monotonic() > deadline:
                    p.kill()
                    self.fail("nasbench info %s did not finish within 120 s" % path)
                time.sleep(0.02)
        with open(err_path, "rb") as f:
            return p.returncode, f.read().decode("utf-8", "replace"), usage.ru_maxrss / 1024

    def laughs(self, levels=40):
        # (None,) in memo 0, then memo 0 = (memo 0, memo 0) `levels` times: 2**levels nodes in a few hundred bytes
        ops = b"\x80\x02N\x85q\x000"
        for _ in range(levels):
            ops += b"h\x00h\x00\x86q\x000"
        return ops

    def test_a_decompression_bomb_stops_within_a_few_mib(self):
        import bz2
        bomb = bz2.compress(b"\x80\x02](" + b"N" * (64 << 20) + b"e.", 9)  # 64 MiB of pickle
        self.assertLess(len(bomb), 1024)
        rc, err, rss = self.run_measured(self.write("bomb.pickle.pbz2", bomb))
        self.assertEqual(rc, 1, err)
        self.assertIn("expands more than 1000x", err)
        self.assertLess(rss, 512)

    def test_a_declared_30_gib_string_is_refused_before_it_is_allocated(self):
        import struct
        for op in (b"\x8d", b"\x8e", b"X"):  # BINUNICODE8, BINBYTES8, BINUNICODE (4 GiB - 1)
            size = 30 << 30 if op != b"X" else 0xFFFFFFFF
            fmt = "<Q" if op != b"X" else "<I"
            rc, err, rss = self.run_measured(self.write("huge.pkl", b"\x80\x04" + op + struct.pack(fmt, size) + b"abc."))
            self.assertEqual(rc, 1, err)
            self.assertIn("exceeds the remaining input", err)
            self.assertLess(rss, 512)

    def test_a_container_shared_2_to_the_40_times_is_refused_not_walked(self):
        # the bomb as one key of a dict large enough to be indexed: building the index hashes it
        keys = b"".join(b"X" + len(k).to_bytes(4, "little") + k + b"N" for k in (b"k%d" % i for i in range(9)))
        data = self.laughs() + b"}(" + keys + b"h\x00Nu."
        # the reader reads that dict as the root; the loader's schema lookups index it
        rc, err, rss = self.run_measured(self.write("laughs.pkl", data))
        self.assertEqual(rc, 1, err)
        self.assertIn("too large to compare or hash", err)
        self.assertLess(rss, 512)

    def test_a_million_nested_lists_do_not_overflow_the_stack(self):
        n = 1000000
        rc, err, rss = self.run_measured(self.write("deep.pkl", b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b"."))
        self.assertEqual(rc, 1, err)
        self.assertIn("expected a benchmark dict", err)
        self.assertLess(rss, 512)


if __name__ == "__main__":
    EXE, FX = sys.argv.pop(1), sys.argv.pop(1)
    unittest.main(verbosity=2)
