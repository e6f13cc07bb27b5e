"""Character-level text helpers shared by the RNN and transformer lectures."""

from __future__ import annotations

import math
from collections import Counter


class CharVocab:
    """Maps characters to integer ids and back; built from a text with :meth:`from_text`."""

    def __init__(self, chars):
        self.itos = list(chars)
        self.stoi = {ch: i for i, ch in enumerate(self.itos)}

    @classmethod
    def from_text(cls, text: str) -> CharVocab:
        return cls(sorted(set(text)))

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str):
        import torch

        return torch.tensor([self.stoi[ch] for ch in text], dtype=torch.long)

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def split_ids(ids, val_fraction: float = 0.1):
    """Contiguous train/validation split of an id tensor (the validation part is the tail)."""
    n_val = int(len(ids) * val_fraction)
    return ids[: len(ids) - n_val], ids[len(ids) - n_val :]


def random_windows(ids, batch_size: int, seq_len: int, generator=None):
    """A batch of random windows: inputs X (batch, seq_len) and next-character targets Y (same)."""
    import torch

    starts = torch.randint(0, len(ids) - seq_len - 1, (batch_size,), generator=generator)
    X = torch.stack([ids[s : s + seq_len] for s in starts.tolist()])
    Y = torch.stack([ids[s + 1 : s + seq_len + 1] for s in starts.tolist()])
    return X, Y


def unigram_entropy_bits(text: str) -> float:
    """Entropy of the character frequencies, in bits per character: the loss of the best model that
    ignores context, and so the baseline every sequence model must beat."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())
