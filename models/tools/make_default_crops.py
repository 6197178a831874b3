"""Write the crops of tests/data/default_model_reference.json as lossless PNG files.

The reference probabilities in that file were computed by export_default.py from the photo
decoded by PIL. JPEG decoders differ by a grey level here and there, and the default model
(like the Keras original) moves by up to 0.04 on such differences, so the Rust end-to-end
test reads these PNGs, which carry exactly the pixels PIL decoded, and compares within the
small margin left by the two runtimes' kernels.

Usage (repository root): python3 models/tools/make_default_crops.py
Writes tests/data/default_model_crops/<case id>.png. Needs Pillow (13.0.0 was used).
"""
import json
import pathlib

from PIL import Image, ImageOps

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main() -> None:
    reference = json.loads((ROOT / "tests/data/default_model_reference.json").read_text())
    photo = ImageOps.exif_transpose(Image.open(ROOT / reference["image"])).convert("RGB")
    out = ROOT / "tests/data/default_model_crops"
    out.mkdir(parents=True, exist_ok=True)
    for case in reference["cases"]:
        left, top, right, bottom = case["crop_box_ltrb"]
        crop = photo.crop((left, top, right, bottom))
        crop.save(out / f"{case['id']}.png", optimize=True)
        print(case["id"], crop.size)


if __name__ == "__main__":
    main()
