"""MiniLM's forward pass in plain PyTorch, for inference without transformers.

Importing transformers and building its `BertModel` took ~4–5 s of every `earshot classify`
start on the 2-core benchmark machine (the bert modelling module alone ~3.4 s), more than the
model's weights take to load. This module builds the same network from the package's
`config.json` and `model.safetensors`: the module names match `BertModel`'s, so the LoRA
merge and `truncate` work on either, and the operations are the ones transformers runs with
`attn_implementation="sdpa"` (PyTorch's fused attention), in the same order, so the hidden
states are bit-identical to it in float32 and bfloat16 (`tests/unit/classifier/test_minilm.py`).
Training and the ONNX export keep using transformers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class MiniLMConfig:
    hidden_size: int
    num_attention_heads: int
    num_hidden_layers: int
    intermediate_size: int
    vocab_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_file(cls, path: Path) -> MiniLMConfig:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("model_type") != "bert" or raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path} is not a BERT encoder with GELU (MiniLM)")
        return cls(**{name: raw[name] for name in cls.__dataclass_fields__})


class _Embeddings(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self, input_ids: torch.Tensor, positions: torch.Tensor | None = None
    ) -> torch.Tensor:
        if positions is None:
            positions = torch.arange(input_ids.shape[1]).unsqueeze(0)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(
            torch.zeros_like(input_ids)
        )
        embeddings = embeddings + self.position_embeddings(positions)
        return self.LayerNorm(embeddings)


class _SelfAttention(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.head_size = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_size**-0.5
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        query = self.query(hidden).view(*shape).transpose(1, 2)
        key = self.key(hidden).view(*shape).transpose(1, 2)
        value = self.value(hidden).view(*shape).transpose(1, 2)
        return self._attend(query, key, value, bias).reshape(*hidden.shape[:-1], -1).contiguous()

    def _attend(
        self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, bias: torch.Tensor
    ) -> torch.Tensor:
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=bias)
        return out.transpose(1, 2).contiguous()

    def _grid(self, states: torch.Tensor, group: WidthGroup) -> torch.Tensor:
        """[rows, heads, width, head size] of one width group's packed tokens."""
        shape = (group.rows, group.width, -1, self.head_size)
        return states.index_select(0, group.gather).view(*shape).transpose(1, 2)

    def packed(self, hidden: torch.Tensor, batch: PackedBatch) -> torch.Tensor:
        """Attention over packed tokens: per width group, the texts' queries, keys and values
        are gathered into a padded grid, attended as in `forward`, and the real tokens' rows
        taken back in packed order. Filler tokens get zeros."""
        query, key, value = self.query(hidden), self.key(hidden), self.value(hidden)
        parts = []
        for group in batch.groups:
            grids = (self._grid(states, group) for states in (query, key, value))
            out = self._attend(*grids, group.bias)
            parts.append(out.view(group.rows * group.width, -1).index_select(0, group.real))
        fillers = hidden.shape[0] - batch.tokens
        if fillers:
            parts.append(hidden.new_zeros((fillers, hidden.shape[1])))
        return torch.cat(parts)


class _DenseNorm(nn.Module):
    """dense, then LayerNorm of (output + residual): BertSelfOutput and BertOutput."""

    def __init__(self, config: MiniLMConfig, width_in: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width_in, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)


class _Attention(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(config)
        self.output = _DenseNorm(config, config.hidden_size)

    def forward(self, hidden: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(hidden, bias), hidden)

    def packed(self, hidden: torch.Tensor, batch: PackedBatch) -> torch.Tensor:
        return self.output(self.self.packed(hidden, batch), hidden)


class _Intermediate(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(hidden))


class _Block(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _DenseNorm(config, config.intermediate_size)

    def forward(self, hidden: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        attended = self.attention(hidden, bias)
        return self.output(self.intermediate(attended), attended)

    def packed(self, hidden: torch.Tensor, batch: PackedBatch) -> torch.Tensor:
        attended = self.attention.packed(hidden, batch)
        return self.output(self.intermediate(attended), attended)


class _Encoder(nn.Module):
    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Block(config) for _ in range(config.num_hidden_layers))


class MiniLM(nn.Module):
    """`hidden_states(ids, mask)`: the embedding output and each block's output, as
    `BertModel(..., output_hidden_states=True).hidden_states` gives them."""

    def __init__(self, config: MiniLMConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    @classmethod
    def from_dir(cls, model_dir: Path) -> MiniLM:
        from safetensors.torch import load_file

        model = cls(MiniLMConfig.from_file(model_dir / "config.json"))
        weights = load_file(str(model_dir / "model.safetensors"))
        ours = model.state_dict()
        unknown = [k for k in weights if k not in ours and not _unused(k)]
        missing = [k for k in ours if k not in weights]
        if unknown or missing:
            raise ValueError(
                f"{model_dir} does not hold MiniLM weights (unexpected: {unknown[:3]}, "
                f"missing: {missing[:3]})"
            )
        model.load_state_dict({k: v for k, v in weights.items() if k in ours})
        return model.eval()

    def hidden_states(self, input_ids: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        hidden = self.embeddings(input_ids)
        # 0 where a token is attended, the dtype's minimum where it is padding.
        bias = torch.zeros(mask.shape, dtype=hidden.dtype).masked_fill(
            mask == 0, torch.finfo(hidden.dtype).min
        )[:, None, None, :]
        states = [hidden]
        for block in self.encoder.layer:
            hidden = block(hidden, bias)
            states.append(hidden)
        return states

    def packed_hidden_states(self, batch: PackedBatch) -> list[torch.Tensor]:
        """`hidden_states` of packed texts: each state is [tokens, hidden], the texts' tokens
        end to end (then the batch's filler tokens)."""
        hidden = self.embeddings(batch.ids, batch.positions)
        states = [hidden]
        for block in self.encoder.layer:
            hidden = block.packed(hidden, batch)
            states.append(hidden)
        return states

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Any:
        return self.hidden_states(input_ids, attention_mask)


@dataclass(frozen=True)
class WidthGroup:
    """The texts of one attention width: `gather` maps each slot of their rows x width grid
    to a packed token (padding slots to token 0, which the bias masks out), `real` lists the
    slots that hold a text's own tokens, in order."""

    rows: int
    width: int
    gather: torch.Tensor
    real: torch.Tensor
    bias: torch.Tensor


@dataclass(frozen=True)
class PackedBatch:
    ids: torch.Tensor  # [tokens + fillers]
    positions: torch.Tensor  # each token's position in its own text
    tokens: int  # the texts' tokens; filler tokens follow them
    groups: tuple[WidthGroup, ...]


def pack(
    sequences: Sequence[Sequence[int]],
    widths: Sequence[int],
    *,
    dtype: torch.dtype,
    multiple: int = 1,
    minimum: int = 0,
) -> PackedBatch:
    """Lay token sequences end to end. `widths`: each text's attention width (≥ its length),
    non-decreasing so the groups' rows come back in packed order. Filler tokens pad the total
    to a multiple of `multiple` and at least `minimum` (the matmul shapes a caller allows)."""
    lengths = np.fromiter((len(seq) for seq in sequences), dtype=np.int64, count=len(sequences))
    width_arr = np.asarray(widths, dtype=np.int64)
    if len(width_arr) != len(lengths) or (lengths > width_arr).any() or (lengths == 0).any():
        raise ValueError("each text needs 1..width tokens")
    if (np.diff(width_arr) < 0).any():
        raise ValueError("texts must be sorted by width")
    tokens = int(lengths.sum())
    total = max(minimum, -(-tokens // multiple) * multiple)
    ids = np.zeros(total, dtype=np.int64)
    positions = np.zeros(total, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    ids[:tokens] = np.fromiter(
        (token for seq in sequences for token in seq), dtype=np.int64, count=tokens
    )
    positions[:tokens] = np.arange(tokens) - np.repeat(starts, lengths)
    groups = []
    for width in np.unique(width_arr):
        members = np.flatnonzero(width_arr == width)
        slot = np.arange(int(width))
        inside = slot[None, :] < lengths[members, None]  # [rows, width]
        gather = np.where(inside, starts[members, None] + slot[None, :], 0)
        bias = torch.zeros(inside.shape, dtype=dtype).masked_fill(
            torch.from_numpy(~inside), torch.finfo(dtype).min
        )[:, None, None, :]
        groups.append(
            WidthGroup(
                rows=len(members),
                width=int(width),
                gather=torch.from_numpy(gather.reshape(-1)),
                real=torch.from_numpy(np.flatnonzero(inside.reshape(-1))),
                bias=bias,
            )
        )
    return PackedBatch(
        ids=torch.from_numpy(ids),
        positions=torch.from_numpy(positions),
        tokens=tokens,
        groups=tuple(groups),
    )


def _unused(key: str) -> bool:
    """Weights in the package file that the sentence encoder does not run."""
    return key.startswith("pooler.") or key.endswith("position_ids")
