"""One image-size limit, stated and enforced before decoding; huge images decoded reduced."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from netlab.base.errors import ImageLoadError
from netlab.data.images import MAX_PIXELS, probe_image
from netlab.predict.model import load_image

ROOT = Path(__file__).resolve().parents[2]
RED = (200, 30, 30)


def _adler32_combine(adler1: int, adler2: int, len2: int) -> int:
    """zlib's adler32_combine: the checksum of A + B from those of A and of B (len2 bytes)."""
    base = 65521
    rem = len2 % base
    a1, b1 = adler1 & 0xFFFF, adler1 >> 16
    a2, b2 = adler2 & 0xFFFF, adler2 >> 16
    return (((b1 + b2 + rem * a1 - rem) % base) << 16) | ((a1 + a2 - 1) % base)


def one_colour_png(path, width: int, height: int, rgb=RED):
    """A valid RGB PNG of one colour, any size, written in a fraction of a second.

    Every row after the first is filter "Up" with zero differences. After a
    zlib full flush the compressor forgets what came before, so one block of
    such rows compresses to the same bytes every time and is simply repeated:
    a 20000 x 20000 image is a 1.2 MB file (a decompression bomb: a small file, a huge image).
    """
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    first = b"\x00" + bytes(rgb) * width
    same = b"\x02" + bytes(3 * width)
    per_block = 64
    blocks, tail = divmod(height - 1, per_block)
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = z.compress(first) + z.flush(zlib.Z_FULL_FLUSH)
    block_rows = same * per_block
    block = z.compress(block_rows) + z.flush(zlib.Z_FULL_FLUSH)
    end = z.compress(same * tail) + z.flush()
    adler, block_adler = zlib.adler32(first), zlib.adler32(block_rows)
    for _ in range(blocks):
        adler = _adler32_combine(adler, block_adler, len(block_rows))
    adler = _adler32_combine(adler, zlib.adler32(same * tail), len(same) * tail)
    idat = b"\x78\x9c" + head + block * blocks + end + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
                           + chunk(b"IEND", b""))
    return path


def test_the_generated_png_is_what_it_claims(tmp_path):
    with Image.open(one_colour_png(tmp_path / "small.png", 300, 200)) as img:
        img.load()
        assert img.size == (300, 200) and img.getextrema() == ((200, 200), (30, 30), (30, 30))


def test_one_limit_is_stated_and_enforced_from_the_header(tmp_path):
    limit = f"at most {MAX_PIXELS / 1e6:.0f} megapixels ({MAX_PIXELS:,} pixels)"
    huge = one_colour_png(tmp_path / "huge.png", 20000, 20000)
    assert huge.stat().st_size < 2_000_000
    with pytest.raises(ImageLoadError) as caught:
        load_image(huge)
    assert "huge.png is too large (20,000 x 20,000 pixels)" in str(caught.value)
    assert limit in str(caught.value)
    # Just over the limit: refused by NetLab's own check, which can say the size.
    side = int(MAX_PIXELS**0.5)
    over = one_colour_png(tmp_path / "over.png", side + 1, side)
    with pytest.raises(ImageLoadError, match=f"{side + 1:,} x {side:,} pixels") as caught:
        load_image(over)
    assert limit in str(caught.value)
    # The image-folder scan refuses the same files with the same words.
    for path in (huge, over):
        with pytest.raises(ImageLoadError, match="too large"):
            probe_image(path)


def test_a_large_png_is_loaded_reduced(tmp_path):
    path = one_colour_png(tmp_path / "wide.png", 6000, 4000)
    img = load_image(path, smallest=32)
    # At least twice the model's side left for the final resize, and no more than twice that.
    assert 64 <= min(img.size) < 128
    assert img.size[0] / img.size[1] == pytest.approx(1.5, rel=0.03)
    assert img.getpixel((10, 10)) == RED
    assert load_image(path).size == (6000, 4000)  # no size wanted: the whole image


def test_a_reduced_image_keeps_its_exif_rotation(tmp_path):
    full = Image.new("RGB", (3000, 1000), "red")
    full.paste((0, 0, 255), (1500, 0, 3000, 1000))  # left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    path = tmp_path / "rotated.png"
    full.save(path, exif=exif)
    with Image.open(path) as opened:
        upright = ImageOps.exif_transpose(opened)
    img = load_image(path, smallest=32)
    assert img.size[0] < img.size[1] and 64 <= min(img.size) < 128  # portrait, reduced
    w, h = img.size
    for y in (h // 10, h - 1 - h // 10):  # the same colour on top and bottom as the full image shows
        fy = int(y / h * upright.height)
        assert img.getpixel((w // 2, y)) == upright.getpixel((upright.width // 2, fy))


def test_a_large_jpeg_never_exists_in_memory_at_full_size(tmp_path):
    # 6000 x 4000 RGB is 72 MB decoded; libjpeg's reduced decoding makes it 1.1 MB.
    path = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (6000, 4000), RED).save(path, quality=90, exif=exif)
    # Peak memory of the C decoder is what matters (tracemalloc does not see Pillow's buffers):
    # measure the process's peak resident size in a fresh interpreter.
    script = (
        "import json, resource, sys\n"
        "from netlab.predict.model import load_image\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "img = load_image(sys.argv[1], smallest=64)\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps({'size': img.size, 'grown_kb': after - before}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    width, height = result["size"]
    assert width < height and 128 <= width < 256  # upright (EXIF) and reduced
    assert result["grown_kb"] < 20_000, result  # a full decode would add 72 MB
