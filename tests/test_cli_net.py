"""`nasbench net` (dispatched to nasbench-net): JSON fields, costs, errors.

Usage: python3 tests/test_cli_net.py PATH/TO/nasbench [NN_FIXTURE_DIR]
"""
import json
import os
import subprocess
import sys
import unittest

EXE = FX = None
ARCH1 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def run(*args):
    p = subprocess.run([EXE, "net", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


class Net(unittest.TestCase):
    def test_json_fields_and_costs(self):
        rc, out, err = run("--index", "0", "--dataset", "ImageNet16-120", "--batch", "2", "--iters", "1", "--json")
        self.assertEqual(rc, 0, err)
        o = json.loads(out)
        for key in ("arch", "num_classes", "input_hw", "params_mb", "flops_m", "forward_ms"):
            self.assertIn(key, o)
        self.assertEqual((o["index"], o["num_classes"], o["input_hw"]), (0, 120, 16))
        self.assertAlmostEqual(o["flops_m"], 3.91948, places=9)
        self.assertAlmostEqual(o["params_mb"], 0.136456, places=9)
        self.assertGreater(o["forward_ms"], 0)

    def test_text_report(self):
        rc, out, err = run("--arch", ARCH1, "-N", "1", "--batch", "1", "--iters", "1")
        self.assertEqual(rc, 0, err)
        self.assertIn("TinyNetwork", out)
        self.assertIn("arch:       " + ARCH1 + " (index 1)", out)
        self.assertIn("forward:", out)

    def test_errors(self):
        for args, code, text in (
            (["--index", "15625"], 1, "out of range"),
            (["--arch", "|bad~0|"], 1, 'unknown op "bad"'),
            (["--index", "1", "--dataset", "mnist"], 1, 'unknown dataset "mnist"'),
            (["--index", "1", "--device", "tpu"], 1, "nasbench:"),
            ([], 2, "--arch, --channels or --index"),
            (["--index", "1", "--arch", ARCH1], 2, "excludes"),
            (["--index", "1", "--weights", "/nonexistent.pth"], 1, "/nonexistent.pth"),
        ):
            rc, _, err = run(*args)
            self.assertEqual(rc, code, (args, err))
            self.assertIn(text, err, args)

    def test_size_space_index_and_channels(self):
        # official index 11 is 8:8:8:16:32; the real sss sample stores these costs (docs/network.md §7)
        for args in (["--space", "sss", "--index", "11"], ["--channels", "8:8:8:16:32"], ["--arch", "8:8:8:16:32"],
                     ["--space", "sss", "--arch", "8:8:8:16:32"]):
            rc, out, err = run(*args, "--dataset", "cifar100", "--batch", "2", "--iters", "1", "--json")
            self.assertEqual(rc, 0, (args, err))
            o = json.loads(out)
            self.assertEqual((o["space"], o["arch"], o["channels"], o["index"]), ("sss", "8:8:8:16:32", "8:8:8:16:32", 11), args)
            self.assertEqual((o["num_classes"], o["input_hw"]), (100, 32))
            self.assertAlmostEqual(o["flops_m"], 6.84362, places=9)
            self.assertAlmostEqual(o["params_mb"], 0.052172, places=9)
            self.assertNotIn("C", o)
        rc, out, err = run("--space", "sss", "--index", "284", "--dataset", "ImageNet16-120", "--batch", "1", "--iters", "1", "--json")
        self.assertEqual(rc, 0, err)
        o = json.loads(out)
        self.assertEqual((o["arch"], o["input_hw"]), ("8:8:40:32:40", 16))
        self.assertAlmostEqual(o["flops_m"], 5.461816, places=9)
        self.assertAlmostEqual(o["params_mb"], 0.149344, places=9)
        rc, out, err = run("--space", "sss", "--index", "32767", "--batch", "1", "--iters", "1", "--json")
        self.assertEqual((rc, json.loads(out)["arch"]), (0, "64:64:64:64:64"), err)
        rc, out, err = run("--index", "0", "--batch", "1", "--iters", "1", "--json")  # tss stays the default
        self.assertEqual((rc, json.loads(out)["space"], json.loads(out)["C"]), (0, "tss", 16), err)

    def test_size_space_text_report(self):
        rc, out, err = run("--channels", "8:8:40:32:40", "--batch", "1", "--iters", "1")
        self.assertEqual(rc, 0, err)
        self.assertIn("DynamicShapeTinyNet", out)
        self.assertIn("FactorizedReduce", out)
        self.assertIn("channels:   8:8:40:32:40 (index 284)", out)
        self.assertIn("params:     0.144834 M", out)
        self.assertIn("FLOPs:      21.82799 M per image", out)

    def test_size_space_errors(self):
        for args, code, text in (
            (["--channels", "8:8:12:16:32"], 2,
             'channel count 12 of layer 2 is not a size-space choice (expected one of 8, 16, 24, 32, 40, 48, 56, 64) '
             'at position 4 in "8:8:12:16:32"'),
            (["--arch", "8:8:8:16"], 2, 'channels string ends after 4 of 5 values'),
            (["--arch", "8:8:8:16"], 2, 'at position 8 in "8:8:8:16"'),
            (["--channels", "8:8:8:16:32x"], 2, 'unexpected text after the 5 channel counts at position 11'),
            (["--space", "sss", "--index", "32768"], 1, "size-space index 32768 out of range (0..32767)"),
            (["--space", "sss", "--arch", ARCH1], 2, "--space sss takes a channels string"),
            (["--space", "tss", "--channels", "8:8:8:8:8"], 2, "size-space (sss)"),
            (["--space", "sss", "--index", "1", "-C", "8"], 2, "topology space (tss) only"),
            (["--space", "nss", "--index", "1"], 2, "--space"),
            (["--channels", "8:8:8:8:8", "--index", "1"], 2, "excludes"),
            (["--space", "sss"], 2, "--arch, --channels or --index"),
        ):
            rc, _, err = run(*args)
            self.assertEqual(rc, code, (args, err))
            self.assertIn(text, err, args)

    def test_help_names_both_spaces(self):
        rc, out, err = run("--help")
        self.assertEqual(rc, 0, err)
        for text in ("--space", "--channels", "0..32767", "8:16:24:32:40", "tss only"):
            self.assertIn(text, out)

    def test_size_space_weights_from_a_fixture(self):
        path = os.path.join(FX or "", "shape_net_a.pth")
        if not FX or not os.path.exists(path):
            self.skipTest("nn fixtures absent")
        import torch  # /usr/bin/python3 has it
        obj = torch.load(path)
        rc, out, err = run("--channels", obj["channels"], "--weights", path, "--batch", "1", "--iters", "1", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["weights"], path)
        # the topology-space fixture does not fit a size-space network
        rc, _, err = run("--channels", obj["channels"], "--weights", os.path.join(FX, "net_a_zip.pth"))
        self.assertEqual(rc, 1)
        self.assertIn("state dict does not fit the network", err)

    def test_weights_from_a_fixture(self):
        if not FX or not os.path.exists(os.path.join(FX, "manifest.json")):
            self.skipTest("nn fixtures absent")
        for name in sorted(os.listdir(FX)):
            if name.startswith("net_") and name.endswith("_legacy.pth"):
                break
        else:
            self.skipTest("no net_*_legacy.pth fixture")
        import torch  # /usr/bin/python3 has it
        obj = torch.load(os.path.join(FX, name))
        hw = obj["input"].shape[-1]
        dataset = {10: "cifar10", 100: "cifar100", 120: "ImageNet16-120"}[obj["num_classes"]]
        rc, out, err = run("--arch", obj["arch"], "-C", str(obj["C"]), "-N", str(obj["N"]), "--dataset", dataset,
                           "--weights", os.path.join(FX, name), "--batch", "1", "--iters", "1", "--json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["input_hw"], hw)


if __name__ == "__main__":
    EXE = sys.argv.pop(1)
    if len(sys.argv) > 1:
        FX = sys.argv.pop(1)
    unittest.main(verbosity=2)
