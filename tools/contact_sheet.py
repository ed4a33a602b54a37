#!/usr/bin/env python
"""Write a contact sheet PNG of a synthetic dataset: one row per identity,
one column per camera.

    python tools/contact_sheet.py --variant target --num-ids 12 --output sheet.png
    python tools/contact_sheet.py --config-file configs/Baselines/synth_bagtricks_R18.yml --variant source
"""

import argparse

import hhcl  # noqa: F401
from fastreid.config import get_cfg
from hhcl import add_hhcl_config
from hhcl.data import synthetic_specs_from_cfg
from hhcl.data.synthetic.contact_sheet import save_contact_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config-file", default="", help="config whose DATASETS.SYNTH_* options to use")
    parser.add_argument("--variant", choices=("source", "target"), default="target")
    parser.add_argument("--num-ids", type=int, default=12)
    parser.add_argument("--first-id", type=int, default=1)
    parser.add_argument("--shots", type=int, default=1, help="images per camera and identity")
    parser.add_argument("--output", default="contact_sheet.png")
    parser.add_argument("opts", nargs=argparse.REMAINDER, help="config overrides, KEY VALUE ...")
    args = parser.parse_args()

    cfg = get_cfg()
    add_hhcl_config(cfg)
    if args.config_file:
        cfg.merge_from_file(args.config_file)
    cfg.merge_from_list(args.opts)
    spec = synthetic_specs_from_cfg(cfg)[f"Synthetic{args.variant.capitalize()}"]
    path = save_contact_sheet(spec, args.variant, args.output, num_ids=args.num_ids,
                              first_id=args.first_id, shots=args.shots)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
