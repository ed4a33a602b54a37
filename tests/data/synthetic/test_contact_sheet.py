import numpy as np
from PIL import Image

from hhcl.data.synthetic.contact_sheet import save_contact_sheet

from ...helpers import REPO, TINY_SPEC, run_python


def test_contact_sheet_has_one_tile_per_identity_and_camera_seen(tmp_path):
    path = save_contact_sheet(TINY_SPEC, "source", tmp_path / "sheet.png", num_ids=4)
    sheet = np.asarray(Image.open(path))
    height, width = TINY_SPEC.image_size
    assert sheet.shape[0] >= 4 * height and sheet.shape[1] >= TINY_SPEC.num_cameras * width
    assert sheet.std() > 10  # images, not a blank page


def test_contact_sheet_tool_writes_png(tmp_path):
    out = tmp_path / "sheet.png"
    result = run_python(f"import runpy, sys; sys.argv = ['contact_sheet.py', '--variant', 'target', "
                        f"'--num-ids', '3', '--output', '{out}', 'DATASETS.SYNTH_TARGET.IMAGE_SIZE', '[64, 32]'];"
                        f"runpy.run_path('{REPO}/tools/contact_sheet.py', run_name='__main__')")
    assert result.returncode == 0, result.stderr
    assert Image.open(out).format == "PNG"
    assert str(out) in result.stdout
