"""nasbench.genotype_utils: the cell class of nats_bench.genotype_utils and xautodl
(TopologyStructure / CellStructure), with the reference's semantics, checked
against nasbench's own C++ answers (get_unique_str, the architecture order)
and against facts of the real benchmark (6,466 unique cells)."""
import bz2
import copy
import os
import pickle

import pytest

import nasbench
from nasbench import genotype_utils as gu
from nasbench.genotype_utils import CellStructure, TopologyStructure, topology_str2structure

from conftest import REPO

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
REAL_META = os.path.join(REPO, "..", "shared", "data", "nats-bench-sample", "NATS-tss-v1_0-3ffb9-simple",
                         "meta.pickle.pbz2")


@pytest.fixture(scope="module")
def every_arch():
    """The 15,625 cells of the topology space, in gen_all's order."""
    return gu.TopologyStructure.gen_all(OPS, 4, False)


def test_parse_and_print():
    s = topology_str2structure(ARCH)
    assert isinstance(s, TopologyStructure) and type(s) is TopologyStructure
    assert s.tostr() == ARCH and str(s) == repr(s) == "TopologyStructure(4 nodes with %s)" % ARCH
    assert s.node_num == 4 and s.node_N == [1, 2, 3] and len(s) == 4
    assert s.nodes == [(("nor_conv_3x3", 0),), (("nor_conv_3x3", 0), ("avg_pool_3x3", 1)),
                       (("skip_connect", 0), ("nor_conv_3x3", 1), ("skip_connect", 2))]
    assert s[0] == s.nodes[0] and s[-1] == s.nodes[2] and s[0:2] == s.nodes[0:2]
    assert topology_str2structure(s) is s  # a cell is returned as it is
    x = CellStructure.str2structure(ARCH)
    assert type(x) is gu.Structure and repr(x) == "Structure(4 nodes with %s)" % ARCH


def test_node_is_xautodl_off_by_one():
    s = topology_str2structure(ARCH)
    assert s.node(1) == s.nodes[1] and s.node(2) == s.nodes[2]  # node(i): nodes[i], node i + 1's edges
    with pytest.raises(IndexError):
        s.node(3)
    for bad in (0, 5):
        with pytest.raises(AssertionError, match=r"invalid index=%d < 4" % bad):
            s.node(bad)


def test_nodes_are_read_live():
    """regularized evolution changes child.nodes[i] in place: tostr() and every query see it."""
    child = copy.deepcopy(topology_str2structure(ARCH))
    child.nodes[0] = (("skip_connect", 0),)
    assert child.tostr() == ARCH.replace("|nor_conv_3x3~0|+", "|skip_connect~0|+", 1)
    assert topology_str2structure(ARCH).tostr() == ARCH


def test_tolist_check_valid_unique_str():
    s = topology_str2structure("|none~0|+|skip_connect~0|none~1|+|nor_conv_1x1~1|none~0|avg_pool_3x3~2|")
    assert s.tolist("none") == (None, False)  # node 1 has no edge left
    t = topology_str2structure("|avg_pool_3x3~0|+|none~1|skip_connect~0|+|nor_conv_1x1~1|none~0|none~2|")
    assert t.tolist("none") == ([(("avg_pool_3x3", 0),), (("skip_connect", 0),), (("nor_conv_1x1", 1),)], True)
    assert t.tolist("") == ([(("avg_pool_3x3", 0),), (("skip_connect", 0), ("none", 1)),
                             (("none", 0), ("nor_conv_1x1", 1), ("none", 2))], True)
    assert s.check_valid() is True and t.check_valid() is True  # node 2 passes the input on
    assert topology_str2structure("|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|").check_valid() is True
    assert topology_str2structure("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|").check_valid() is False
    # fed only by nodes that are zero: node 1 ('none') and node 2 (its inputs are zero)
    assert topology_str2structure("|none~0|+|none~0|none~1|+|nor_conv_3x3~1|none~0|skip_connect~2|").check_valid() is False
    assert topology_str2structure(ARCH).check_valid_op(OPS) and not s.check_valid_op(OPS[1:])
    u = topology_str2structure("|nor_conv_1x1~0|+|skip_connect~0|none~1|+|skip_connect~1|none~0|avg_pool_3x3~2|")
    # worked by hand: skip_connect passes its input's string on, 'none' is '#' with consider_zero,
    # each node joins its inputs' strings sorted ('#' < '(' < '0')
    assert u.to_unique_str() == "(((0)@nor_conv_1x1)@none+0)@avg_pool_3x3+(0)@none+(0)@nor_conv_1x1"
    assert u.to_unique_str(consider_zero=True) == "#+(#+0)@avg_pool_3x3+(0)@nor_conv_1x1"
    assert u.to_unique_str(consider_zero=None) == (
        "(((0)@nor_conv_1x1)@none+(0)@skip_connect)@avg_pool_3x3+((0)@nor_conv_1x1)@skip_connect+(0)@none")


def test_full_structure_and_bad_strings():
    s = TopologyStructure.str2fullstructure("|nor_conv_3x3~0|+|skip_connect~1|+|avg_pool_3x3~2|")
    assert s.tostr() == "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"
    with pytest.raises(AssertionError, match="invalid input length : nor_conv_3x3"):
        topology_str2structure("|nor_conv_3x3|+|none~0|none~1|")
    with pytest.raises(AssertionError, match="invalid length : 0"):
        topology_str2structure("|none~0|+")
    with pytest.raises(AssertionError, match=r"invalid in-node : \('none', 1\)"):
        topology_str2structure("|none~1|")
    with pytest.raises(AssertionError, match="must take string"):
        topology_str2structure(12)
    with pytest.raises(ValueError):
        topology_str2structure("|none~x|")


def test_gen_all_is_the_whole_space(every_arch):
    strings = [s.tostr() for s in every_arch]
    assert len(strings) == len(set(strings)) == 5 ** 6
    assert strings[0] == "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert strings[1] == "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|"
    assert all(topology_str2structure(x).tostr() == x for x in strings)
    raw = TopologyStructure.gen_all(OPS[:2], 3, True)
    assert raw[0] == [(("none", 0),), (("none", 0), ("none", 1))] and len(raw) == 2 * 4
    assert gu.get_combination(OPS[:2], 2) == [[("none", 0), ("none", 1)], [("none", 0), ("skip_connect", 1)],
                                             [("skip_connect", 0), ("none", 1)],
                                             [("skip_connect", 0), ("skip_connect", 1)]]
    with pytest.raises(AssertionError, match="at least two nodes"):
        TopologyStructure.gen_all(OPS, 1, True)


def test_named_cells():
    assert gu.CellArchitectures["resnet"].tostr() == "|nor_conv_3x3~0|+|nor_conv_3x3~1|+|skip_connect~0|skip_connect~2|"
    assert gu.CellArchitectures["all_full"].node_N == [4, 8, 12]
    assert gu.AllFull_CODE.nodes[1][4] == ("skip_connect", 1)


def test_unique_strings_are_the_apis(nats_dir):
    """to_unique_str(consider_zero=True) is what get_unique_str answers (nats_bench: the same call)."""
    api = nasbench.create(os.path.join(nats_dir, "tss.pickle"), "tss")
    for index in range(len(api)):
        assert topology_str2structure(api[index]).to_unique_str(consider_zero=True) == api.get_unique_str(index)
        cell = CellStructure.str2structure(api[index])
        assert api.query_index_by_arch(cell) == index  # a cell is a query argument (read through tostr())


def test_real_benchmark_has_6466_unique_cells(every_arch):
    if not os.path.exists(REAL_META):
        pytest.skip("no real NATS-Bench sample (../shared/data)")
    with bz2.open(REAL_META) as f:
        archs = pickle.load(f)["meta_archs"]
    assert sorted(archs) == sorted(s.tostr() for s in every_arch)
    assert len({topology_str2structure(a).to_unique_str(consider_zero=True) for a in archs}) == 6466
