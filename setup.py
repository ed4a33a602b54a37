"""HHCL for FastReID: the ``hhcl`` package lives in projects/HHCL/.

FastReID 1.4.0 must be installed with ``pip install --no-deps fastreid==1.4.0``
(its metadata pins torch 1.13.1); the Makefile does all of this.
"""

from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
requirements = [line.strip() for line in (here / "requirements.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]

setup(
    name="hhcl-fastreid",
    version="0.1.0",
    description="Fully unsupervised person re-ID (HHCL, Cluster Contrast, HCT) as a FastReID plugin",
    package_dir={"": "projects/HHCL"},
    packages=find_packages("projects/HHCL"),
    python_requires=">=3.10",
    install_requires=requirements,
    # tools/export_onnx.py: pip install -e ".[onnx]" (torch's exporter needs onnxscript;
    # onnxruntime checks the exported file). PSEUDO_LABELS.METHOD infomap: pip install -e ".[infomap]"
    # (the Infomap result API of 2.15+). Tested versions: constraints.txt.
    # PSEUDO_LABELS.KNN_INDEX faiss_gpu: pip install -e ".[gpu]" (faiss built with CUDA 12, the same
    # release as faiss-cpu; both install the `faiss` module, so if `import faiss` still finds the CPU
    # build: pip uninstall -y faiss-cpu faiss-gpu && pip install faiss-gpu). Never needed: the torch
    # index searches exactly on the GPU with torch alone.
    extras_require={"onnx": ["onnx", "onnxscript", "onnxruntime"], "infomap": ["infomap>=2.15"],
                    "gpu": ["faiss-gpu"]},
)
