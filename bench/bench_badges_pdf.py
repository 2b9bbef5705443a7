"""Time printing 1,500 delegate badges, a third with distinct photos, per layout (goal < 10 s)."""

from __future__ import annotations

import io
import sys
import time

import numpy as np
from PIL import Image

from badges.pdf import LAYOUTS, BadgeCard, render_badges
from badges.token import BadgeToken, sign_badge
from congress.keys import generate_private_key

BADGES = 1500
PHOTO_EVERY = 3  # a third of the delegates sent a photo
PHOTO_SIZE = (900, 1200)  # a typical portrait after the upload form's downscale
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Khánh", "Lan", "Nhung", "Quân"]


def photo(seed: int) -> bytes:
    """A distinct JPEG per delegate (gradient plus noise, so it compresses like a photo)."""
    rng = np.random.default_rng(seed)
    w, h = PHOTO_SIZE
    ys, xs = np.mgrid[0:h, 0:w]
    base = np.stack([(xs * 255 // w), (ys * 255 // h), np.full_like(xs, seed % 256)], axis=-1)
    noise = rng.integers(0, 40, size=(h, w, 3))
    out = io.BytesIO()
    Image.fromarray((base + noise).clip(0, 255).astype(np.uint8)).save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    key = generate_private_key()
    started = time.perf_counter()
    tokens = [sign_badge(key, BadgeToken(17, i + 1, 1)) for i in range(BADGES)]
    signing = time.perf_counter() - started
    photos = {i: photo(i) for i in range(0, BADGES, PHOTO_EVERY)}
    cards = [
        BadgeCard(
            congress_name="ĐẠI HỘI ĐẠI BIỂU ĐOÀN TNCS HỒ CHÍ MINH THÀNH PHỐ HÀ NỘI LẦN THỨ XVII, "
            "NHIỆM KỲ 2027 - 2032",
            congress_dates="Ngày 20 - 21/11/2026",
            full_name=f"{FAMILY[i % 10]} {MIDDLE[i % 8]} {MIDDLE[(i * 3) % 8]} {GIVEN[i % 11]}",
            delegation=f"Đoàn đại biểu Quận {i % 30 + 1}",
            position="Bí thư Đoàn phường",
            unit=f"Phường {i % 17 + 1}",
            kind="full" if i % 10 else "alternate",
            photo=photos.get(i),
            token=tokens[i],
            portal_url="https://daihoi.thanhdoan.hanoi.vn/vk/17",
        )
        for i in range(BADGES)
    ]
    print(f"signing {BADGES} tokens: {signing:.2f} s")
    layouts = sys.argv[1:] or list(LAYOUTS)
    for layout in layouts:
        out = io.BytesIO()
        started = time.perf_counter()
        render_badges(cards, layout, out)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - started
        size = len(out.getvalue()) / 1e6
        print(
            f"{layout:7s} {BADGES} badges ({len(photos)} distinct photos): {elapsed:.2f} s, "
            f"{BADGES / elapsed:.0f} badges/s, {size:.1f} MB"
        )


if __name__ == "__main__":
    main()
