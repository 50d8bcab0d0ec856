"""A checkpoint deploy in the scene (viz/layers/deploy.py) and its line in the panel: edges
the weights are crossing carry a packet at their progress, crossed edges stay dimly lit,
edges not reached are not drawn; holders glow while it runs and a few seconds after."""
import dataclasses

import numpy as np

from sim.snapshot import DeployView
from viz.layers.deploy import DEPLOY, HOLD_S, HolderGlow, deploy_vertices, node_positions
from viz.synthetic import make_snapshot


def deploy_view(edge_progress, target_progress, n_sats: int) -> DeployView:
    """Satellite 0 sends to 1, 1 to 2, and 0 to station 0 (node n_sats)."""
    edges = np.array([[0, 1], [1, 2], [0, n_sats]], np.int32)
    targets = np.array([1, 2], np.int32)
    return DeployView(
        version=2, label="trained step 40", byte_size=7.09e6, start_s=0.0, end_s=0.04,
        held_version=np.where(np.isin(np.arange(n_sats), targets[np.asarray(target_progress)
                                                                  >= 1]), 2, 0).astype(np.int32),
        holders=int((np.asarray(target_progress) >= 1).sum()), inference_total=2,
        targets=targets, progress=np.asarray(target_progress, np.float32),
        paths=np.array([[0, 1, -1], [0, 1, 2]], np.int32), path_len=np.array([2, 3], np.int32),
        edges=edges, edge_progress=np.asarray(edge_progress, np.float32))


def test_crossing_edges_carry_a_packet_and_unreached_ones_are_not_drawn():
    snap = make_snapshot(2, 4, n_flows=0)
    view = deploy_view([1.0, 0.4, 0.0], [1.0, 0.2], snap.n_sats)
    snap = dataclasses.replace(snap, deploy=view)
    nodes = node_positions(snap)
    assert len(nodes) == snap.n_sats + len(snap.station_positions_km)
    ribbons, sprites = deploy_vertices(view, nodes, glow=True)
    assert len(ribbons) == 4  # edges 0-1 (crossed) and 1-2 (crossing); 0-station not reached
    np.testing.assert_allclose(ribbons["pos"][2], snap.positions_km[1], rtol=1e-6)
    np.testing.assert_allclose(ribbons["pos"][3], snap.positions_km[2], rtol=1e-6)
    assert ribbons["progress"][:2].tolist() == [-1.0, -1.0]  # crossed: lit evenly, dim
    np.testing.assert_allclose(ribbons["progress"][2:], 0.4)
    assert ribbons["colour"][0, 3] < ribbons["colour"][2, 3]
    np.testing.assert_allclose(ribbons["colour"][:, :3], np.tile(DEPLOY, (4, 1)))
    # only the target that holds the whole checkpoint glows
    assert len(sprites) == 1
    np.testing.assert_allclose(sprites["pos"][0], snap.positions_km[1], rtol=1e-6)
    assert view.in_flight == 1


def test_holders_glow_while_it_runs_and_a_few_seconds_after():
    glow = HolderGlow()
    running = deploy_view([1.0, 0.5, 0.0], [1.0, 0.5], 8)
    done = deploy_view([1.0, 1.0, 1.0], [1.0, 1.0], 8)
    assert glow.on(running, 10.0) and glow.on(done, 11.0)
    assert glow.on(done, 11.0 + HOLD_S - 0.1) and not glow.on(done, 11.0 + HOLD_S + 0.1)
    assert not glow.on(None, 0.0)
    ribbons, sprites = deploy_vertices(done, np.zeros((9, 3)), glow=False)
    assert len(ribbons) == 0 and len(sprites) == 0  # nothing in flight, glow over


def test_the_panel_says_who_holds_it():
    from viz.ui.training import deploy_line

    line = deploy_line(deploy_view([1.0, 0.4, 0.0], [1.0, 0.2], 8))
    assert line == ("v2 (trained step 40, 7.09 MB): 1 of 2 inference satellites hold it, "
                    "1 transfer in flight")
