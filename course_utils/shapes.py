"""Synthetic "shapes" scenes for detection and segmentation, generated with NumPy from a seed.

Each scene is a small RGB canvas (e.g. 32x32) holding a few non-overlapping objects, each a
rectangle, a disk or a triangle in a random colour on a noisy dark background. Every object comes
with its exact box, class and pixel mask, so the same scenes serve classification + localization,
detection (boxes and classes) and semantic or instance segmentation (masks)::

    from course_utils import shapes
    data = shapes.make_shapes(1000, size=32, num_objects=(1, 3), seed=0)
    data.images      # (1000, 3, 32, 32) float32 in [0, 1]
    data.semantic    # (1000, 32, 32) int64: 0 = background, 1 + class index elsewhere
    data.boxes[i]    # (n_i, 4) float32, (x0, y0, x1, y1) in pixels, x1/y1 exclusive
    data.labels[i]   # (n_i,) int64 class indices into shapes.CLASSES
    data.masks[i]    # (n_i, 32, 32) bool, one mask per object

Conventions: a pixel (row r, column c) covers the square [c, c+1) x [r, r+1), so a box
``(x0, y0, x1, y1)`` is the tight box around the object's mask with ``x1 = last column + 1``; its
width ``x1 - x0`` is the object's width in pixels. This is the continuous-coordinate convention of
``torchvision.ops`` (``box_iou``, ``nms``). Objects never overlap (their boxes are at least one
pixel apart), so every box and mask is complete and the semantic map is unambiguous.

The same ``seed`` gives the same scenes on every machine (NumPy's ``default_rng``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

CLASSES = ("rectangle", "disk", "triangle")
"""The object classes; a label ``k`` means ``CLASSES[k]``, and the semantic map uses ``k + 1``."""
TRIANGLE_REACH = 0.65  # circumradius / extent of a triangle (a disk's radius is 0.5 * extent)


@lru_cache(maxsize=8)
def _pixel_centres(size: int):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def shape_mask(kind: str, center, extent: float, size: int, aspect: float = 1.0,
               angle: float = 0.0) -> np.ndarray:
    """Rasterize one shape on a ``size`` x ``size`` canvas and return its boolean mask.

    A pixel belongs to the shape when its centre ``(c + 0.5, r + 0.5)`` lies inside it.

    Args:
        kind: ``"rectangle"``, ``"disk"`` or ``"triangle"``.
        center: ``(cx, cy)`` in pixels.
        extent: the shape's size in pixels (rectangle: the longer side; disk: the diameter;
            triangle: 0.77 times the diameter of its circumscribed circle, which gives the three
            classes about the same area for the same extent).
        size: the canvas side in pixels.
        aspect: rectangles only, the ratio of the shorter to the longer side (<= 1).
        angle: rectangles: 0 puts the longer side horizontally, anything else vertically;
            triangles: the rotation in radians.
    """
    cx, cy = center
    yy, xx = _pixel_centres(size)  # pixel centres, (size, size) each
    if kind == "rectangle":
        w, h = extent, extent * aspect
        if angle:
            w, h = h, w
        return (np.abs(xx - cx) <= w / 2) & (np.abs(yy - cy) <= h / 2)
    if kind == "disk":
        return (xx - cx) ** 2 + (yy - cy) ** 2 <= (extent / 2) ** 2
    if kind == "triangle":
        r = TRIANGLE_REACH * extent
        t = angle + np.array([0.0, 2.0, 4.0]) * np.pi / 3  # an equilateral triangle, rotated
        vx, vy = cx + r * np.cos(t), cy + r * np.sin(t)
        inside = np.ones((size, size), dtype=bool)
        for i in range(3):  # inside = on the same side of all three edges as the centre
            j = (i + 1) % 3
            edge = (vx[j] - vx[i]) * (yy - vy[i]) - (vy[j] - vy[i]) * (xx - vx[i])
            ref = (vx[j] - vx[i]) * (cy - vy[i]) - (vy[j] - vy[i]) * (cx - vx[i])
            inside &= edge * np.sign(ref) >= 0
        return inside
    raise ValueError(f"unknown shape {kind!r}; choose one of {CLASSES}")


def mask_to_box(mask: np.ndarray) -> np.ndarray:
    """The tight box ``(x0, y0, x1, y1)`` (x1, y1 exclusive) around a non-empty boolean mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.float32)


@dataclass
class Scene:
    """One canvas: ``image`` (3, H, W) float32, ``boxes`` (n, 4), ``labels`` (n,), ``masks`` (n, H, W)."""

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    masks: np.ndarray

    @property
    def semantic(self) -> np.ndarray:
        """(H, W) int64 map: 0 for background, ``label + 1`` on each object's pixels."""
        out = np.zeros(self.image.shape[1:], dtype=np.int64)
        for label, mask in zip(self.labels, self.masks):
            out[mask] = label + 1
        return out


def make_scene(rng: np.random.Generator, size: int = 32, num_objects=(1, 3), extent=(8, 16),
               noise: float = 0.05, max_tries: int = 200) -> Scene:
    """Draw one scene with ``rng``.

    Args:
        rng: a ``np.random.default_rng(seed)`` generator (the only source of randomness).
        size: canvas side in pixels.
        num_objects: ``(low, high)``, both inclusive: how many objects to try to place. A scene
            may hold fewer when no free spot is found after ``max_tries`` placements (never zero).
        extent: ``(low, high)`` range of object sizes in pixels (see :func:`shape_mask`).
        noise: standard deviation of the Gaussian pixel noise added to the whole image.
        max_tries: placement attempts per object before giving up on it.
    """
    n_target = int(rng.integers(num_objects[0], num_objects[1] + 1))
    occupied = np.zeros((size, size), dtype=bool)  # the boxes of the objects placed so far
    image = np.empty((3, size, size), dtype=np.float32)
    image[:] = rng.uniform(0.0, 0.25, size=(3, 1, 1))  # a dark background colour
    boxes, labels, masks = [], [], []
    for _ in range(n_target):
        label = int(rng.integers(len(CLASSES)))  # drawn once, so crowded scenes keep classes balanced
        for _ in range(max_tries):
            ext = rng.uniform(*extent)
            reach = ext * (TRIANGLE_REACH if CLASSES[label] == "triangle" else 0.5)
            center = rng.uniform(reach, size - reach, size=2)
            lo = np.floor(center - reach).astype(int)  # a box that surely holds the shape
            hi = np.ceil(center + reach).astype(int)
            if occupied[max(lo[1] - 1, 0):hi[1] + 1, max(lo[0] - 1, 0):hi[0] + 1].any():
                continue  # would touch or overlap an earlier object
            mask = shape_mask(CLASSES[label], center, ext, size, aspect=rng.uniform(0.5, 1.0),
                              angle=rng.uniform(0, 2 * np.pi) if label == 2 else float(rng.integers(2)))
            if mask.sum() < 9:  # too small to be a recognizable shape
                continue
            box = mask_to_box(mask)
            x0, y0, x1, y1 = box.astype(int)
            occupied[y0:y1, x0:x1] = True
            colour = rng.uniform(0.45, 1.0, size=3).astype(np.float32)
            colour[rng.integers(3)] = rng.uniform(0.0, 0.3)  # saturated colours, clearly not background
            image[:, mask] = colour[:, None]
            boxes.append(box)
            labels.append(label)
            masks.append(mask)
            break
    if not boxes:  # extremely unlikely; guarantee at least one object
        return make_scene(rng, size, num_objects, extent, noise, max_tries)
    image += noise * rng.standard_normal(size=image.shape, dtype=np.float32)
    np.clip(image, 0.0, 1.0, out=image)
    return Scene(image, np.stack(boxes), np.array(labels, dtype=np.int64), np.stack(masks))


@dataclass
class ShapesDataset:
    """A batch of scenes as arrays (images and semantic maps) and lists (per-scene objects)."""

    images: np.ndarray  # (N, 3, H, W) float32
    semantic: np.ndarray  # (N, H, W) int64
    boxes: list = field(default_factory=list)  # N arrays (n_i, 4) float32
    labels: list = field(default_factory=list)  # N arrays (n_i,) int64
    masks: list = field(default_factory=list)  # N arrays (n_i, H, W) bool

    def __len__(self) -> int:
        return len(self.images)

    def scene(self, i: int) -> Scene:
        return Scene(self.images[i], self.boxes[i], self.labels[i], self.masks[i])

    @property
    def num_objects(self) -> np.ndarray:
        return np.array([len(b) for b in self.boxes])


def make_shapes(n: int, size: int = 32, num_objects=(1, 3), extent=(8, 16), noise: float = 0.05,
                seed: int = 0) -> ShapesDataset:
    """``n`` scenes from :func:`make_scene`, reproducible from ``seed``.

    Use different seeds for training and held-out scenes, e.g. ``make_shapes(2000, seed=0)`` and
    ``make_shapes(500, seed=1)``.
    """
    rng = np.random.default_rng(seed)
    scenes = [make_scene(rng, size, num_objects, extent, noise) for _ in range(n)]
    return ShapesDataset(
        images=np.stack([s.image for s in scenes]),
        semantic=np.stack([s.semantic for s in scenes]),
        boxes=[s.boxes for s in scenes],
        labels=[s.labels for s in scenes],
        masks=[s.masks for s in scenes],
    )


def plot_scene(image, boxes=None, labels=None, scores=None, ax=None, color="w", title=None):
    """Show an image (3, H, W) with its boxes, each labelled by class name (and score if given)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    ax = ax or plt.subplots(figsize=(2.5, 2.5))[1]
    img = np.asarray(image.detach().cpu() if hasattr(image, "detach") else image)
    ax.imshow(np.moveaxis(img, 0, -1).clip(0, 1), extent=(0, img.shape[2], img.shape[1], 0))
    boxes = [] if boxes is None else np.asarray(boxes.detach().cpu() if hasattr(boxes, "detach") else boxes)
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=color, linewidth=1.2))
        text = ""
        if labels is not None:
            text = CLASSES[int(labels[k])][:4]
        if scores is not None:
            text += f" {float(scores[k]):.2f}"
        if text:
            ax.text(x0, y0 - 0.5, text, color=color, fontsize=6, va="bottom")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)
    return ax
