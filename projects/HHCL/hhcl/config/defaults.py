"""``add_hhcl_config``: every config key the plugin adds, with its defaults.

Symbols are those of the HHCL paper (docs/DESIGN.md, "Equations and code").
"""

from __future__ import annotations

from fastreid.config import CfgNode

from ..data.synthetic_config import add_synthetic_config


def add_hhcl_config(cfg: CfgNode) -> None:
    """Add the plugin's keys to a FastReID config (in place), with the HHCL
    paper's defaults. ``DATASETS.SYNTH_SOURCE`` / ``DATASETS.SYNTH_TARGET``
    hold the synthetic datasets' options (:class:`hhcl.data.SyntheticSpec`),
    ``DATASETS.FOLDER`` those of ``FolderDataset`` (:class:`hhcl.data.FolderSpec`)."""
    add_synthetic_config(cfg)

    # FolderDataset: your own images (hhcl.data.FolderDataset).
    cfg.DATASETS.FOLDER = CfgNode()
    # The folder holding the splits: absolute, or relative to FastReID's
    # datasets root (FASTREID_DATASETS). Must be set to use FolderDataset.
    cfg.DATASETS.FOLDER.ROOT = ""
    # The splits' sub-folders of ROOT, searched recursively (nested folders
    # allowed) for .jpg/.jpeg/.png/.bmp files, sorted by path. Query and
    # gallery may be the same folder (an image is never its own match).
    cfg.DATASETS.FOLDER.TRAIN_DIR = "train"
    cfg.DATASETS.FOLDER.QUERY_DIR = "query"
    cfg.DATASETS.FOLDER.GALLERY_DIR = "gallery"
    # Where query and gallery identities come from: pattern (PATTERN's `id`
    # group on the file name), folder (the first sub-folder under the split's
    # folder names the identity) or none. Cameras come from PATTERN's
    # `camera` group under pattern only; otherwise there are none.
    cfg.DATASETS.FOLDER.ID_FROM = "pattern"
    # The same for the train images: same (as ID_FROM), pattern, folder or
    # none (every image its own unknown id: unsupervised training never
    # uses them; the pseudo-label quality log then says it is unavailable).
    cfg.DATASETS.FOLDER.TRAIN_ID_FROM = "same"
    # A regular expression searched in each file name, with a named group
    # `id` and optionally `camera` (default: Market-1501's 0002_c1s1_...).
    cfg.DATASETS.FOLDER.PATTERN = r"^(?P<id>-?\d+)_c(?P<camera>\d+)"

    # Which gallery images each query is ranked against: cameras (FastReID's:
    # those of the query's identity and camera are left out), camera_free
    # (only the query image itself is left out) or auto (camera_free for a
    # test set without camera ids, e.g. FolderDataset without a `camera`
    # group; cameras otherwise). Checked before training starts.
    cfg.TEST.PROTOCOL = "auto"

    # Seeds every random stream of a run (samplers, augmentation, memory
    # slots, initialisation); -1: a random seed.
    cfg.SEED = -1

    # BatchNorm training statistics over chunks of this many samples (0: the
    # whole batch). 64 with batch 256 = the authors' 4-GPU DataParallel.
    cfg.MODEL.BN_CHUNK_SIZE = 0

    # A random per-channel gain (white balance) after FastReID's ToTensor.
    cfg.INPUT.COLOR_CAST = CfgNode()
    cfg.INPUT.COLOR_CAST.ENABLED = False
    cfg.INPUT.COLOR_CAST.PROB = 0.5
    # Gains drawn from U(1 - STRENGTH, 1 + STRENGTH).
    cfg.INPUT.COLOR_CAST.STRENGTH = 0.2

    # Random erasing (INPUT.REA): fastreid (torchvision's: area <= 0.33,
    # log-uniform aspect, 10 tries, fill INPUT.REA.VALUE) or release (the
    # HHCL / Cluster Contrast releases': area 0.02-0.4, aspect uniform in
    # [0.3, 3.33], 100 tries, fill the ImageNet mean in normalised units).
    cfg.INPUT.REA.MODE = "fastreid"

    # Training steps between two pseudo-label updates (one "epoch" of the
    # unsupervised methods; the LR schedule counts epochs of this length).
    cfg.SOLVER.ITERS_PER_EPOCH = 200

    # The cluster memory of HHCL and Cluster Contrast (hhcl.modeling.memory).
    cfg.MODEL.MEMORY = CfgNode()
    # hybrid (HHCL, Eq. 2-8), hard_mean (HHCL release), mean / hard (Cluster Contrast).
    cfg.MODEL.MEMORY.MODE = "hybrid"
    # Temperature τ (τ_c = τ_ins) of the contrastive logits (Eq. 3, 5).
    cfg.MODEL.MEMORY.TEMP = 0.05
    # Momentum α: weight of the old memory row in the update (Eq. 4).
    cfg.MODEL.MEMORY.MOMENTUM = 0.1
    # μ: weight of the cluster-level loss in L = μ·L_cls + (1−μ)·L_ins (Eq. 2).
    cfg.MODEL.MEMORY.MU = 0.5
    # K: instance slots per cluster of the hybrid memory (Eq. 6-8; = DATALOADER.NUM_INSTANCE).
    cfg.MODEL.MEMORY.NUM_INSTANCES = 16
    # ε of label smoothing (the paper's "+LS"; 0: off).
    cfg.MODEL.MEMORY.LABEL_SMOOTH = 0.0
    # uniform: ε spread over all clusters, on the cluster-level CE only;
    # release: ε spread over the top C//50 predicted clusters (uniform when
    # C//50 <= 1), on every CE term of the memory, as the HHCL release.
    cfg.MODEL.MEMORY.LABEL_SMOOTH_MODE = "uniform"
    # hard_mean with the release's weighting μ·CE_hard + μ(1−μ)·CE_mean.
    cfg.MODEL.MEMORY.LEGACY_WEIGHTING = False

    # The pseudo-label step (hhcl.labelers, hhcl.clustering).
    cfg.PSEUDO_LABELS = CfgNode()
    # A registered labeler: dbscan, agglomerative, infomap, ground_truth (hhcl.labelers).
    cfg.PSEUDO_LABELS.METHOD = "dbscan"
    # Relabel before every N-th epoch (HCT: one merge stage per N epochs).
    cfg.PSEUDO_LABELS.EVERY_N_EPOCHS = 1
    # k1, k2 of the k-reciprocal Jaccard distance. infomap: k1 = neighbours
    # per image of its k-NN graph, the image itself included (the Cluster
    # Contrast release's --k1, 15 in its InfoMap commands).
    cfg.PSEUDO_LABELS.K1 = 30
    cfg.PSEUDO_LABELS.K2 = 6
    # k-NN index (hhcl.clustering.knn_search): auto (torch when the features
    # are on a GPU, exact otherwise), exact (faiss IndexFlatL2, CPU), hnsw
    # (faiss, approximate, CPU), torch (exact, chunked matrix products where
    # the features are) or faiss_gpu (faiss GpuIndexFlatL2; pip install -e ".[gpu]").
    cfg.PSEUDO_LABELS.KNN_INDEX = "auto"
    # Before each pseudo-label step, log its estimated peak memory and stop
    # if it cannot fit in the memory available (hhcl.clustering.memory_estimate).
    cfg.PSEUDO_LABELS.CHECK_MEMORY = True
    # DBSCAN's ε (maximum Jaccard distance of neighbours) and minimum samples.
    cfg.PSEUDO_LABELS.EPS = 0.6
    cfg.PSEUDO_LABELS.MIN_SAMPLES = 4
    # Agglomerative (HCT/BUC): merges per stage = MERGE_PERCENT × images.
    cfg.PSEUDO_LABELS.MERGE_PERCENT = 0.07
    # Cluster distance: min (single linkage, HCT) or average.
    cfg.PSEUDO_LABELS.LINKAGE = "min"
    # λ of the size penalty λ·(|A| + |B|) added to a merge's distance.
    cfg.PSEUDO_LABELS.SIZE_PENALTY = 0.003
    # Neighbours per image of the k-NN graph the merges are chosen from.
    cfg.PSEUDO_LABELS.KNN = 20
    # InfoMap (Cluster Contrast release, cluster_contrast_train_usl_infomap.py):
    # the least cosine similarity of a k-NN edge (the release's --eps) and the
    # largest cluster whose images become outliers, -1 (the release's --k2).
    cfg.PSEUDO_LABELS.MIN_SIMILARITY = 0.5
    cfg.PSEUDO_LABELS.MAX_OUTLIER_SIZE = 4
