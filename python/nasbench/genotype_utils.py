"""The cell genotype of the topology space, as scripts written for NATS-Bench and
xautodl use it: ``nats_bench.genotype_utils`` (``TopologyStructure``,
``topology_str2structure``) and xautodl's ``CellStructure`` (``Structure``,
``get_combination``, ``CellArchitectures``).

A genotype is one tuple per node after the input node 0; each tuple holds the
node's incoming edges as ``(op_name, input_node)`` pairs. ``tostr()`` is the
benchmark's architecture string, which every nasbench query also accepts
(any object with a ``tostr()`` method is read through it).

Semantics are the reference's, quirks included, because scripts rely on them:

- ``nodes`` is a plain list that scripts may change in place (regularized
  evolution mutates ``child.nodes[i]``); ``tostr()`` and the other methods read
  it as it is now.
- ``node(index)`` asserts ``0 < index <= len(self)`` and returns
  ``self.nodes[index]``: the edges of node ``index + 1`` (``node(len(self) - 1)``
  raises IndexError), as in xautodl.
- ``len(s)`` counts the input node; ``s[i]`` is ``s.nodes[i]`` (slices and
  negative indexes included).
- Errors are AssertionErrors with the reference's messages.

One deliberate difference: ``TopologyStructure.gen_all`` works (nats_bench's
copy raises NameError, its ``get_combination`` being missing).
"""
from copy import deepcopy

__all__ = ["TopologyStructure", "Structure", "CellStructure", "topology_str2structure", "get_combination",
           "CellArchitectures", "ResNet_CODE", "AllConv3x3_CODE", "AllFull_CODE", "AllConv1x1_CODE",
           "AllIdentity_CODE"]


def _is_sequence(x):
    return isinstance(x, (list, tuple))


def get_combination(space, num):
    """Every way of giving inputs 0..num-1 one op of `space` each: a list of lists of (op, input)."""
    combos = [[]]
    for i in range(num):
        combos = [combo + [(op, i)] for combo in combos for op in space]
    return combos if num > 0 else []


class TopologyStructure:
    """A topology-space cell: ``nodes[i]`` is the tuple of (op, input) edges into node i + 1."""

    def __init__(self, genotype):
        assert _is_sequence(genotype), "invalid class of genotype : {:}".format(type(genotype))
        self.node_num = len(genotype) + 1
        self.nodes = []
        self.node_N = []
        for idx, edges in enumerate(genotype):
            assert _is_sequence(edges), "invalid class of node_info : {:}".format(type(edges))
            assert len(edges) >= 1, "invalid length : {:}".format(len(edges))
            for edge in edges:
                assert _is_sequence(edge), "invalid class of in-node : {:}".format(type(edge))
                assert len(edge) == 2 and edge[1] <= idx, "invalid in-node : {:}".format(edge)
            self.node_N.append(len(edges))
            self.nodes.append(tuple(deepcopy(edges)))

    def tolist(self, remove_str):
        """Each node's edges sorted by (input, op), without those whose op is `remove_str`:
        (list, True), or (None, False) when a node is left without an edge."""
        out = []
        for edges in self.nodes:
            kept = tuple(e for e in sorted(edges, key=lambda e: (e[1], e[0])) if e[0] != remove_str)
            if not kept:
                return None, False
            out.append(kept)
        return out, True

    def node(self, index):
        assert 0 < index <= len(self), "invalid index={:} < {:}".format(index, len(self))
        return self.nodes[index]

    def tostr(self):
        return "+".join("|" + "|".join("{:}~{:}".format(op, src) for op, src in edges) + "|"
                        for edges in self.nodes)

    def check_valid(self):
        """Whether the output node is reached from the input through edges other than 'none'."""
        reached = {0: True}
        for i, edges in enumerate(self.nodes):
            reached[i + 1] = any(op != "none" and reached[src] for op, src in edges)
        return reached[len(self.nodes)]

    def to_unique_str(self, consider_zero=False):
        """A string equal for cells that compute the same function up to isomorphism. skip_connect
        passes its input through; with consider_zero, 'none' (and anything fed only by zeros) is
        the zero '#'; consider_zero=None keeps every op as it is."""
        text = {0: "0"}
        for i, edges in enumerate(self.nodes):
            terms = []
            for op, src in edges:
                if consider_zero is None:
                    term = "({:})@{:}".format(text[src], op)
                elif consider_zero and (op == "none" or text[src] == "#"):
                    term = "#"
                elif op == "skip_connect":
                    term = text[src]
                else:
                    term = "({:})@{:}".format(text[src], op)
                terms.append(term)
            text[i + 1] = "+".join(sorted(terms))
        return text[len(self.nodes)]

    def check_valid_op(self, op_names):
        return all(op in op_names for edges in self.nodes for op, _ in edges)

    def __repr__(self):
        return "{:}({:} nodes with {:})".format(type(self).__name__, self.node_num, self.tostr())

    def __len__(self):
        return len(self.nodes) + 1

    def __getitem__(self, index):
        return self.nodes[index]

    @staticmethod
    def _parse(xstr):
        assert isinstance(xstr, str), "must take string (not {:}) as input".format(type(xstr))
        nodes = []
        for node in xstr.split("+"):
            inputs = [part for part in node.split("|") if part != ""]
            for part in inputs:
                assert len(part.split("~")) == 2, "invalid input length : {:}".format(part)
            nodes.append([(op, int(src)) for op, src in (part.split("~") for part in inputs)])
        return nodes

    @classmethod
    def str2structure(cls, xstr):
        """The cell of an architecture string ('|op~0|+|op~0|op~1|+...'); a cell is returned as it is."""
        if isinstance(xstr, TopologyStructure):
            return xstr
        return cls([tuple(edges) for edges in cls._parse(xstr)])

    @classmethod
    def str2fullstructure(cls, xstr, default_name="none"):
        """As str2structure, with every missing input j < i of node i added as (default_name, j)
        and each node's edges sorted by (input, op)."""
        nodes = []
        for i, edges in enumerate(cls._parse(xstr)):
            present = {src for _, src in edges}
            edges = edges + [(default_name, j) for j in range(i) if j not in present]
            nodes.append(tuple(sorted(edges, key=lambda e: (e[1], e[0]))))
        return cls(nodes)

    @classmethod
    def gen_all(cls, search_space, num, return_ori):
        """Every cell of `num` nodes whose node i takes one op of `search_space` from each earlier
        node: lists of tuples (return_ori) or cells."""
        assert _is_sequence(search_space), "invalid class of search-space : {:}".format(type(search_space))
        assert num >= 2, "There should be at least two nodes in a neural cell instead of {:}".format(num)
        archs = [[tuple(c)] for c in get_combination(search_space, 1)]
        for inode in range(2, num):
            nodes = [tuple(c) for c in get_combination(search_space, inode)]
            archs = [arch + [node] for arch in archs for node in nodes]
        return archs if return_ori else [cls(arch) for arch in archs]


class Structure(TopologyStructure):
    """xautodl's name for the same cell (``from xautodl.models import CellStructure``); its repr
    says ``Structure(...)``."""


CellStructure = Structure


def topology_str2structure(xstr):
    """nats_bench.genotype_utils.topology_str2structure: TopologyStructure.str2structure."""
    return TopologyStructure.str2structure(xstr)


# xautodl's named cells (CellArchitectures).
ResNet_CODE = Structure([(("nor_conv_3x3", 0),), (("nor_conv_3x3", 1),), (("skip_connect", 0), ("skip_connect", 2))])
AllConv3x3_CODE = Structure([(("nor_conv_3x3", 0),), (("nor_conv_3x3", 0), ("nor_conv_3x3", 1)),
                             (("nor_conv_3x3", 0), ("nor_conv_3x3", 1), ("nor_conv_3x3", 2))])
AllFull_CODE = Structure([tuple((op, j) for j in range(i) for op in ("skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                                                      "avg_pool_3x3"))
                          for i in range(1, 4)])
AllConv1x1_CODE = Structure([(("nor_conv_1x1", 0),), (("nor_conv_1x1", 0), ("nor_conv_1x1", 1)),
                             (("nor_conv_1x1", 0), ("nor_conv_1x1", 1), ("nor_conv_1x1", 2))])
AllIdentity_CODE = Structure([(("skip_connect", 0),), (("skip_connect", 0), ("skip_connect", 1)),
                              (("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2))])
CellArchitectures = {"resnet": ResNet_CODE, "all_c3x3": AllConv3x3_CODE, "all_c1x1": AllConv1x1_CODE,
                     "all_idnt": AllIdentity_CODE, "all_full": AllFull_CODE}
