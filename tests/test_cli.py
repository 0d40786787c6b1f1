"""The `nasbench` CLI's contract: output, JSON and exit statuses.

Usage: python3 tests/test_cli.py PATH/TO/nasbench
"""
import json
import subprocess
import sys
import unittest

EXE = None
ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
ARCH0 = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class ArchCommand(unittest.TestCase):
    def test_index_text(self):
        rc, out, err = run("arch", "0")
        self.assertEqual(rc, 0, err)
        self.assertIn("index:          0\n", out)
        self.assertIn("arch:           " + ARCH0 + "\n", out)
        self.assertIn("valid:          true\n", out)
        self.assertIn("  node 2 <- (nor_conv_1x1, 0), (skip_connect, 1)\n", out)

    def test_string_json_matches_index(self):
        rc, out, _ = run("arch", ARCH1, "--json")
        self.assertEqual(rc, 0)
        obj = json.loads(out)
        self.assertEqual(obj["arch"], ARCH1)
        self.assertEqual(obj["matrix"], [[0, 0, 0, 0], [3, 0, 0, 0], [3, 4, 0, 0], [1, 3, 1, 0]])
        self.assertEqual(obj["lists"][1], [["nor_conv_3x3", 0], ["avg_pool_3x3", 1]])
        self.assertTrue(obj["valid"])
        self.assertEqual(set(obj["unique_str"]), {"none", "false", "true"})
        rc, out2, _ = run("arch", str(obj["index"]), "--json")
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out2), obj)

    def test_several_json_lines(self):
        rc, out, _ = run("arch", "--json", "0", "9", "123")
        self.assertEqual(rc, 0)
        lines = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([l["index"] for l in lines], [0, 9, 123])

    def test_outside_space_has_null_index(self):
        rc, out, _ = run("arch", "|none~0|", "--json")
        self.assertEqual(rc, 0)
        self.assertIsNone(json.loads(out)["index"])
        rc, out, _ = run("arch", "|none~0|")
        self.assertIn("index:          -1 (not in the topology space)", out)

    def test_bad_string_exit_1(self):
        rc, out, err = run("arch", "|nor_conv_3x3~1|")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertEqual(err, 'nasbench: input node 1 of an edge into node 1 must be < 1 at position 14 in "|nor_conv_3x3~1|"\n')

    def test_index_out_of_range_exit_1(self):
        for bad in ("15625", "99999999999999999999999"):
            rc, _, err = run("arch", bad)
            self.assertEqual(rc, 1)
            self.assertIn("out of range (0..15624)", err)

    def test_usage_errors_exit_2(self):
        for args in ([], ["arch"], ["arch", "0", "--bogus"], ["frobnicate"]):
            rc, _, err = run(*args)
            self.assertEqual(rc, 2, args)
            self.assertNotEqual(err, "")

    def test_help_and_version(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        self.assertIn("arch", out)
        self.assertIn("list", out)
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("nasbench "))


class ListCommand(unittest.TestCase):
    def test_official_and_canonical(self):
        rc, out, _ = run("list")
        self.assertEqual(rc, 0)
        archs = out.splitlines()
        self.assertEqual(len(archs), 15625)
        self.assertEqual(archs[0], ARCH0)
        rc, out, _ = run("list", "--canonical")
        canonical = out.splitlines()
        self.assertEqual(canonical[0], "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
        self.assertEqual(sorted(canonical), sorted(archs))
        # The benchmark's own recipe, in Python.
        import random
        shuffled = list(canonical)
        random.seed(88)
        random.shuffle(shuffled)
        self.assertEqual(shuffled, archs)


if __name__ == "__main__":
    EXE = sys.argv.pop(1)
    unittest.main(verbosity=2)
