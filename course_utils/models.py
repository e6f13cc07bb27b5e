"""Small network builders that several lectures use: a multilayer perceptron and a conv-BN-ReLU block.

Each lecture that *teaches* a layer writes it from scratch; these are the plain building blocks a
lecture needs on the side (a discriminator, a policy network, a baseline to compare with), written
once here so that every lecture builds them the same way. torch is imported on first use.
"""

from __future__ import annotations


def mlp(sizes, activation=None, dropout: float = 0.0, flatten: bool = False, out_activation=None):
    """``nn.Sequential`` of ``nn.Linear`` layers with ``sizes[i] -> sizes[i + 1]`` and activations in between.

    ``mlp([64, 128, 10])`` is ``Linear(64, 128), ReLU(), Linear(128, 10)``. Options:

    - ``activation``: a module class (or any callable returning a module) used between the linear
      layers; ``nn.ReLU`` by default.
    - ``dropout``: if positive, an ``nn.Dropout(dropout)`` after each hidden activation.
    - ``flatten``: start with ``nn.Flatten()``, so images ``(batch, C, H, W)`` go in directly.
    - ``out_activation``: a module class (or callable) applied to the output, e.g. ``nn.Sigmoid``.

    The linear layers are created in order, so a seeded call gives the same weights every time.
    """
    from torch import nn

    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    activation = activation or nn.ReLU
    layers = [nn.Flatten()] if flatten else []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:  # hidden layer
            layers.append(activation())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    if out_activation is not None:
        layers.append(out_activation())
    return nn.Sequential(*layers)


def conv_bn_relu(c_in: int, c_out: int):
    """3x3 convolution (padding 1, no bias: the batch norm has one), batch norm, ReLU; keeps H and W."""
    from torch import nn

    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())
