"""BatchNorm over chunks of the batch = one BatchNorm per chunk (DataParallel's statistics)."""

import copy

import pytest
import torch
import torch.nn.functional as F
from fastreid.config import get_cfg
from fastreid.layers import get_norm

from hhcl import add_hhcl_config
from hhcl.engine import PseudoLabelTrainer
from hhcl.modeling import split_batch_norm_

from ..helpers import REPO


@pytest.mark.parametrize("shape", [(12, 3, 4, 2), (12, 5, 1, 1), (12, 5)])
def test_training_output_and_statistics_equal_one_batchnorm_per_chunk(shape):
    torch.manual_seed(0)
    norm = torch.nn.BatchNorm1d(shape[1]) if len(shape) == 2 else get_norm("BN", shape[1])
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    reference = copy.deepcopy(norm)
    split_batch_norm_(norm, chunk_size=4)
    inputs = torch.randn(shape) * 3 + 1
    inputs_ref = inputs.clone().requires_grad_(True)
    inputs.requires_grad_(True)

    output = norm(inputs)
    chunks = inputs_ref.split(4)
    # Chunk by chunk with its own statistics (what each DataParallel replica
    # computes); only the first updates the running statistics.
    expected = torch.cat([reference(chunks[0])] + [
        F.batch_norm(chunk, None, None, reference.weight, reference.bias, True, 0.1, reference.eps)
        for chunk in chunks[1:]])
    torch.testing.assert_close(output, expected)
    torch.testing.assert_close(norm.running_mean, reference.running_mean)
    torch.testing.assert_close(norm.running_var, reference.running_var)
    assert int(norm.num_batches_tracked) == 1

    weights = torch.randn(shape)
    (output * weights).sum().backward()
    (expected * weights).sum().backward()
    torch.testing.assert_close(inputs.grad, inputs_ref.grad)
    torch.testing.assert_close(norm.weight.grad, reference.weight.grad)

    whole_batch = F.batch_norm(inputs.detach(), None, None, norm.weight, norm.bias, True, 0.1, norm.eps)
    assert not torch.allclose(output, whole_batch, atol=1e-3)      # it does differ from whole-batch statistics


def test_evaluation_and_single_chunk_batches_are_plain_batchnorm():
    torch.manual_seed(1)
    norm = get_norm("BN", 3)
    reference = copy.deepcopy(norm)
    split_batch_norm_(norm, chunk_size=8)
    small = torch.randn(6, 3, 2, 2)
    torch.testing.assert_close(norm(small), reference(small))
    norm.eval(), reference.eval()
    batch = torch.randn(20, 3, 2, 2)
    torch.testing.assert_close(norm(batch), reference(batch))


def test_config_key_converts_every_batchnorm_and_keeps_checkpoint_keys():
    cfg = get_cfg()
    add_hhcl_config(cfg)
    cfg.merge_from_file(str(REPO / "configs/HHCL/synth.yml"))
    plain = PseudoLabelTrainer.build_model(cfg)
    cfg.MODEL.BN_CHUNK_SIZE = 16
    split = PseudoLabelTrainer.build_model(cfg)
    norms = [m for m in split.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms and all("forward" in vars(m) for m in norms)
    assert list(split.state_dict()) == list(plain.state_dict())
    with pytest.raises(ValueError, match="MODEL.BN_CHUNK_SIZE must be 0"):
        split_batch_norm_(plain, chunk_size=1)
