"""The corruptions against closed forms written here independently (PIL, colorsys, explicit
sums), the noise strengths against the published constants, and seeding."""

from __future__ import annotations

import colorsys
import io
import math

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from repair.errors import ConfigError, DataFormatError
from repair.robustness import (
    CATEGORIES,
    COMMON,
    CORRUPTIONS,
    EXTRA,
    category_of,
    corrupt,
    resolve_names,
    stratum_rng,
)
from repair.robustness._filters import motion_blur
from repair.robustness.corruptions import parse_intensities
from repair.robustness.presets import table

TOL = 1.0 / 255.0
LEVELS = (1, 2, 3, 4, 5)


def _images(n: int = 4, size: int = 16, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Smooth-ish random images on the 8-bit grid, like decoded photos."""
    rng = np.random.default_rng(seed)
    noise = rng.random((n, size, size, channels))
    smooth = ndimage.uniform_filter(noise, size=(1, 3, 3, 1))
    return (np.round(smooth * 255) / 255).astype(np.float32)


def _run(images: np.ndarray, name: str, level: int, seed: int = 0, preset: str = "cifar"):
    return corrupt(images, name, level, rng=stratum_rng(seed, name, level, 0), preset=preset)


def _pad_and_sum(image: np.ndarray, kernel: np.ndarray, pad_mode: str) -> np.ndarray:
    """Correlate one (H, W) image with ``kernel`` by an explicit sum over shifted copies."""
    half = kernel.shape[0] // 2
    padded = np.pad(image.astype(np.float64), half, mode=pad_mode)
    height, width = image.shape
    out = np.zeros((height, width))
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * padded[i : i + height, j : j + width]
    return out


def _per_channel(images: np.ndarray, kernel: np.ndarray, pad_mode: str) -> np.ndarray:
    out = np.empty(images.shape, dtype=np.float64)
    for n in range(images.shape[0]):
        for c in range(images.shape[3]):
            out[n, :, :, c] = _pad_and_sum(images[n, :, :, c], kernel, pad_mode)
    return np.clip(out, 0, 1)


# ----- registry -----


def test_registry_has_the_published_names_in_four_categories() -> None:
    assert len(COMMON) == 14 and "frost" not in CORRUPTIONS
    assert set(EXTRA) == {"speckle_noise", "gaussian_blur", "spatter", "saturate"}
    assert {c.category for c in CORRUPTIONS.values()} == set(CATEGORIES)
    assert category_of("fog") == "weather" and category_of("brightness") == "weather"
    assert category_of("jpeg_compression") == "digital"
    assert resolve_names("fog, contrast") == ["fog", "contrast"]
    assert len(resolve_names("all")) == 18
    with pytest.raises(ConfigError, match="frost.*licence"):
        resolve_names("frost")
    assert parse_intensities("1-5") == [1, 2, 3, 4, 5]
    assert parse_intensities("4,2-3") == [2, 3, 4]
    for bad in ("0-3", "x", "5-4", "6"):
        with pytest.raises(ConfigError):
            parse_intensities(bad)


def test_imagenet_preset_refuses_small_images_and_works_on_64_px() -> None:
    with pytest.raises(DataFormatError, match="64 px"):
        _run(_images(size=32), "contrast", 1, preset="imagenet")
    images = _images(n=2, size=64)
    for name in CORRUPTIONS:
        out = _run(images, name, 3, preset="imagenet")
        assert out.shape == images.shape and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_every_corruption_keeps_shape_range_and_works_on_grey_images(name: str) -> None:
    for channels in (3, 1):
        images = _images(n=3, size=32, channels=channels)
        for level in (1, 5):
            out = _run(images, name, level)
            assert out.shape == images.shape and out.dtype == np.float32
            assert np.all((out >= 0) & (out <= 1)), (name, level, channels)
        assert not np.array_equal(out, images) or (name == "saturate" and channels == 1)


# ----- deterministic corruptions: closed forms -----


@pytest.mark.parametrize("level", LEVELS)
def test_contrast_is_the_scaled_distance_to_the_channel_mean(level: int) -> None:
    images = _images()
    factor = table("contrast", "cifar")[level - 1]
    means = images.astype(np.float64).mean(axis=(1, 2), keepdims=True)
    expected = np.clip((images - means) * factor + means, 0, 1)
    np.testing.assert_allclose(_run(images, "contrast", level), expected, atol=TOL)


def _hsv_map(images: np.ndarray, change) -> np.ndarray:
    out = np.empty(images.shape, dtype=np.float64)
    for index in np.ndindex(images.shape[:3]):
        h, s, v = colorsys.rgb_to_hsv(*images[index].astype(np.float64))
        out[index] = colorsys.hsv_to_rgb(*change(h, s, v))
    return np.clip(out, 0, 1)


@pytest.mark.parametrize("level", LEVELS)
def test_brightness_adds_to_the_hsv_value(level: int) -> None:
    images = _images(n=2)
    images[0, :2, :2] = 0.0  # black pixels: value only
    shift = table("brightness", "cifar")[level - 1]
    expected = _hsv_map(images, lambda h, s, v: (h, s, min(v + shift, 1.0)))
    np.testing.assert_allclose(_run(images, "brightness", level), expected, atol=TOL)


@pytest.mark.parametrize("level", LEVELS)
def test_saturate_scales_the_hsv_saturation(level: int) -> None:
    images = _images(n=2)
    images[1, :3, :3] = 0.4  # grey pixels: hue 0, tinted red by a positive shift
    factor, shift = table("saturate", "cifar")[level - 1]
    expected = _hsv_map(images, lambda h, s, v: (h, min(max(s * factor + shift, 0), 1), v))
    np.testing.assert_allclose(_run(images, "saturate", level), expected, atol=TOL)


def _to_pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray(np.round(image * 255).astype(np.uint8))


@pytest.mark.parametrize("level", LEVELS)
def test_pixelate_is_pillows_box_resize_down_and_up(level: int) -> None:
    images = _images(size=32)
    fraction = table("pixelate", "cifar")[level - 1]
    expected = []
    for image in images:
        small = _to_pil(image).resize((int(32 * fraction),) * 2, Image.Resampling.BOX)
        expected.append(np.asarray(small.resize((32, 32), Image.Resampling.BOX)) / 255.0)
    np.testing.assert_allclose(_run(images, "pixelate", level), np.array(expected), atol=TOL)


@pytest.mark.parametrize("level", LEVELS)
def test_jpeg_is_a_pillow_encode_decode_at_the_published_quality(level: int) -> None:
    images = _images(size=32)
    quality = table("jpeg_compression", "cifar")[level - 1]
    expected = []
    for image in images:
        buffer = io.BytesIO()
        _to_pil(image).save(buffer, "JPEG", quality=quality)
        expected.append(np.asarray(Image.open(io.BytesIO(buffer.getvalue()))) / 255.0)
    out = _run(images, "jpeg_compression", level)
    np.testing.assert_allclose(out, np.array(expected), atol=TOL)
    assert np.abs(out - images).mean() > 0.005  # it does lose detail


@pytest.mark.parametrize("level", LEVELS)
def test_gaussian_blur_is_a_sampled_gaussian_with_repeated_edges(level: int) -> None:
    images = _images()
    sigma = table("gaussian_blur", "cifar")[level - 1]
    radius = int(4 * sigma + 0.5)
    taps = np.exp(-(np.arange(-radius, radius + 1) ** 2) / (2 * sigma**2))
    taps /= taps.sum()
    expected = _per_channel(images, np.outer(taps, taps), "edge")
    np.testing.assert_allclose(_run(images, "gaussian_blur", level), expected, atol=TOL)


@pytest.mark.parametrize("level", LEVELS)
def test_defocus_blur_is_an_antialiased_disk(level: int) -> None:
    images = _images()
    radius, alias = table("defocus_blur", "cifar")[level - 1]
    grid = np.arange(-8, 9)
    disk = (grid[:, None] ** 2 + grid[None, :] ** 2 <= radius**2).astype(np.float64)
    disk /= disk.sum()
    g = np.exp(-(np.array([-1.0, 0.0, 1.0]) ** 2) / (2 * alias**2))
    g /= g.sum()
    kernel = _pad_and_sum(disk, np.outer(g, g), "reflect")
    expected = _per_channel(images, kernel, "reflect")
    np.testing.assert_allclose(_run(images, "defocus_blur", level), expected, atol=TOL)


@pytest.mark.parametrize("level", LEVELS)
def test_zoom_blur_averages_the_image_with_its_centre_zooms(level: int) -> None:
    images = _images(n=2, size=32)
    step, count = table("zoom_blur", "cifar")[level - 1]
    expected = []
    for image in images.astype(np.float64):
        total = image.copy()
        for k in range(count):
            factor = 1 + k * step
            crop = math.ceil(32 / factor)
            top = (32 - crop) // 2
            zoomed = ndimage.zoom(
                image[top : top + crop, top : top + crop], (factor, factor, 1), order=1
            )
            trim = (zoomed.shape[0] - 32) // 2
            total += zoomed[trim : trim + 32, trim : trim + 32]
        expected.append(np.clip(total / (count + 1), 0, 1))
    np.testing.assert_allclose(_run(images, "zoom_blur", level), np.array(expected), atol=TOL)


@pytest.mark.parametrize(("radius", "sigma"), table("motion_blur", "cifar"))
def test_motion_blur_is_a_one_sided_gaussian_line(radius: float, sigma: float) -> None:
    images = _images(n=3)
    width = 2 * math.ceil(radius) + 1
    weights = np.exp(-(np.arange(width) ** 2) / (2 * sigma**2))
    weights /= weights.sum()
    size = images.shape[1]
    out = motion_blur(images, radius, sigma, np.array([0.0, 90.0, 45.0]))
    right, down, diagonal = (np.zeros(images.shape[1:]) for _ in range(3))
    for i, w in enumerate(weights):
        columns = np.minimum(np.arange(size) + i, size - 1)
        right += w * images[0][:, columns]
        down += w * images[1][columns, :]
        # tap i lies i px along the 45 degree line: round(i / sqrt 2) px right and down
        step = np.minimum(np.arange(size) + round(i / math.sqrt(2)), size - 1)
        diagonal += w * images[2][step][:, step]
    for got, want in zip(out, (right, down, diagonal), strict=True):
        np.testing.assert_allclose(got, want, atol=TOL)


def test_glass_blur_moves_each_pixel_from_its_up_left_neighbourhood() -> None:
    # CIFAR intensity 1: sigma 0.05 (a 1-tap gaussian, so no blur), delta 1, one pass. Each
    # visited pixel takes the value of the pixel at offset (dy, dx) in {-1, 0}^2, which the
    # bottom-right to top-left visit has not changed yet; rows and columns 0-1 are not visited.
    images = _images(n=2, size=32)
    out = _run(images, "glass_blur", 1)
    assert table("glass_blur", "cifar")[0] == (0.05, 1, 1)
    np.testing.assert_array_equal(out[:, :2], images[:, :2])
    np.testing.assert_array_equal(out[:, :, :2], images[:, :, :2])
    for n in range(2):
        for h in range(2, 32):
            for w in range(2, 32):
                sources = images[n, h - 1 : h + 1, w - 1 : w + 1].reshape(4, 3)
                assert np.any(np.all(np.abs(sources - out[n, h, w]) < 1e-6, axis=1)), (h, w)
    assert np.mean(np.any(out != images, axis=-1)) > 0.3


def test_motion_blur_corruption_draws_one_direction_per_image() -> None:
    images = np.repeat(_images(n=1), 4, axis=0)
    out = _run(images, "motion_blur", 5)
    assert not np.allclose(out[0], out[1])  # same image, other direction


# ----- noise: the published constants -----

NOISE_STD = {
    "gaussian_noise": lambda c: c,
    "speckle_noise": lambda c: 0.5 * c,
    "shot_noise": lambda c: math.sqrt(0.5 / c),
    "impulse_noise": lambda c: 0.5 * math.sqrt(c),
}


@pytest.mark.parametrize("name", sorted(NOISE_STD))
def test_noise_std_matches_the_published_constant(name: str) -> None:
    grey = np.full((48, 32, 32, 3), 0.5, dtype=np.float32)
    for level in LEVELS:
        constant = table(name, "cifar")[level - 1]
        out = _run(grey, name, level)
        measured = float((out - grey).std())
        expected = NOISE_STD[name](constant)
        assert measured == pytest.approx(expected, rel=0.05), (level, measured, expected)
        assert abs(float((out - grey).mean())) < 0.1 * expected  # zero-mean noise


# ----- seeds -----

RANDOM = {
    "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "glass_blur",
    "motion_blur", "snow", "fog", "spatter", "elastic_transform",
}  # fmt: skip


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_the_same_seed_gives_the_same_images_and_another_seed_other_noise(name: str) -> None:
    images = _images(n=3, size=32)
    level = 3
    first, again = _run(images, name, level, seed=7), _run(images, name, level, seed=7)
    np.testing.assert_array_equal(first, again)
    other = _run(images, name, level, seed=8)
    if name in RANDOM:
        assert not np.array_equal(first, other)
    else:
        np.testing.assert_array_equal(first, other)


def test_generators_differ_per_corruption_intensity_and_block() -> None:
    draws = {
        key: stratum_rng(*key).random(4).tobytes()
        for key in [(0, "fog", 1, 0), (0, "fog", 2, 0), (0, "snow", 1, 0), (0, "fog", 1, 1)]
    }
    assert len(set(draws.values())) == 4
