"""Ranked lists: ranking against a brute-force loop, and the drawing."""

import numpy as np
from PIL import Image

from hhcl.reports import draw_ranked_lists, rank_gallery
from hhcl.reports.ranked_lists import CORRECT, QUERY, WRONG


def brute_force_ranking(q, g, q_ids, g_ids, q_cams, g_cams, k, left_out=None):
    """``left_out(i, j)``: whether gallery image j is left out for query i
    (default: FastReID's rule, same identity and camera)."""
    left_out = left_out or (lambda i, j: g_ids[j] == q_ids[i] and g_cams[j] == q_cams[i])
    ranked = []
    for i in range(len(q)):
        candidates = [j for j in range(len(g)) if not left_out(i, j)]
        cosine = [q[i] @ g[j] / (np.linalg.norm(q[i]) * np.linalg.norm(g[j])) for j in candidates]
        ranked.append([candidates[j] for j in sorted(range(len(candidates)), key=lambda j: (-cosine[j], j))[:k]])
    return np.array(ranked)


def test_ranking_equals_brute_force_and_drops_same_camera_matches():
    rng = np.random.default_rng(0)
    q, g = rng.normal(size=(5, 8)), rng.normal(size=(30, 8))
    q_ids, g_ids = np.arange(5), rng.integers(0, 5, 30)
    q_cams, g_cams = np.zeros(5, int), rng.integers(0, 3, 30)
    g[3] = q[0] * 2.0                     # identical direction to query 0 ...
    g_ids[3], g_cams[3] = 0, 0            # ... but same identity and camera: left out
    ranked, matches = rank_gallery(q, g, q_ids, g_ids, q_cams, g_cams, top_k=6)
    assert ranked.tolist() == brute_force_ranking(q, g, q_ids, g_ids, q_cams, g_cams, 6).tolist()
    assert 3 not in ranked[0]
    assert np.array_equal(matches, g_ids[ranked] == q_ids[:, None])


def test_camera_free_ranking_leaves_out_only_the_query_image():
    rng = np.random.default_rng(1)
    q, g = rng.normal(size=(4, 8)), rng.normal(size=(20, 8))
    q_ids, g_ids = np.arange(4), rng.integers(0, 4, 20)
    cams = np.zeros(4, int), np.zeros(20, int)                      # one camera: FastReID's rule leaves out all
    q_paths, g_paths = [f"q{i}.jpg" for i in range(4)], [f"g{j}.jpg" for j in range(20)]
    g[5], g_ids[5], g_paths[5] = q[1], 1, "q1.jpg"                  # query 1's own image in the gallery
    g[6], g_ids[6] = q[2] * 3.0, 2                                   # another image of query 2, same camera
    ranked, matches = rank_gallery(q, g, q_ids, g_ids, *cams, top_k=5, protocol="camera_free",
                                   query_paths=q_paths, gallery_paths=g_paths)
    expected = brute_force_ranking(q, g, q_ids, g_ids, *cams, 5, left_out=lambda i, j: g_paths[j] == q_paths[i])
    assert ranked.tolist() == expected.tolist()
    assert 5 not in ranked[1] and ranked[2][0] == 6 and matches[2][0]


def test_drawing_frames_queries_and_matches(tmp_path):
    paths = []
    for index, colour in enumerate([(200, 200, 200), (10, 10, 10), (120, 60, 0)]):
        paths.append(str(tmp_path / f"{index}.jpg"))
        Image.new("RGB", (64, 128), colour).save(paths[-1])
    ranked, matches = np.array([[1, 2]]), np.array([[True, False]])
    out = draw_ranked_lists([paths[0]], paths, ranked, matches, tmp_path / "lists.png", size=(128, 64), border=4)
    with Image.open(out) as sheet:
        cell_w = 64 + 8
        assert sheet.size == (cell_w * 3 + cell_w // 2, 128 + 8)
        assert sheet.getpixel((1, 1)) == QUERY
        assert sheet.getpixel((cell_w // 2 + cell_w + 1, 1)) == CORRECT          # rank 1: same person
        assert sheet.getpixel((cell_w // 2 + 2 * cell_w + 1, 1)) == WRONG        # rank 2: another one
        assert sheet.getpixel((cell_w // 2 + cell_w + 30, 60))[0] < 30            # rank 1 shows image 1 (dark)
