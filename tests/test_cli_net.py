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
            ([], 2, "--arch or --index"),
            (["--index", "1", "--arch", ARCH1], 2, "excludes"),
            (["--index", "1", "--weights", "/nonexistent.pth"], 1, "/nonexistent.pth"),
        ):
            rc, _, err = run(*args)
            self.assertEqual(rc, code, (args, err))
            self.assertIn(text, err, args)

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
