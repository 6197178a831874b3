#!/usr/bin/env bash
# GPU accelerator check on a Linux machine with an NVIDIA GPU: does LiteRT's WebGPU
# accelerator run the models, what does the result report, and how far are GPU outputs
# from the CPU's? Results are in benches/README.md.
#
# Layout it expects (prepared on the build machine, copied to the GPU machine):
#   .devrun/lesionscan.xz                       release CLI (LESIONSCAN_EMBED_DEFAULT_MODEL=0), stripped
#   .devrun/libLiteRt.so.xz, libLiteRtWebGpuAccelerator.so.xz   from .litert/lib (found via $ORIGIN)
#   .gl/*.deb   Debian's libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 (amd64)
#   $OUT        a folder for the results
# Run from the repository root: bash benches/gpu_check.sh
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
R=$OUT/results.txt
{ nvidia-smi -L; ls /usr/local/nvidia/share/vulkan/icd.d/; ldconfig -p | grep -i vulkan; } > "$R" 2>&1
cd .devrun && xz -d ./*.xz && chmod +x lesionscan
M=../models/$(tr -d "[:space:]" < ../models/DEFAULT_MODEL).tflite
P=../tests/data/phone_skin_moles.jpg
for acc in gpu auto cpu; do
  LESIONSCAN_LOG=debug timeout 120 ./lesionscan classify --json --accelerator "$acc" --model "$M" "$P" > "$OUT/tmp.json" 2> "$OUT/$acc.log"
  echo "== default $acc rc=$?" >> "$R"; cat "$OUT/tmp.json" >> "$R"
done
for m in mobilenet_tiny_int8 two_input_float; do for acc in gpu cpu; do
  timeout 60 ./lesionscan classify --json --accelerator "$acc" --model "../tests/data/$m.tflite" "$P" > "$OUT/tmp.json" 2>&1
  echo "== $m $acc rc=$?" >> "$R"; cat "$OUT/tmp.json" >> "$R"
done; done
for acc in gpu cpu; do
  timeout 120 ./lesionscan bench --accelerator "$acc" --runs 30 --model "$M" --image "$P" --json > "$OUT/tmp.json" 2>&1
  echo "== bench $acc rc=$?" >> "$R"; cat "$OUT/tmp.json" >> "$R"
done
rm -f "$OUT/tmp.json"; rm -f "$OUT/cpu.log"
cat "$R"
