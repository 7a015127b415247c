#!/usr/bin/env bash
# The measurements of docs/PERFORMANCE.md, "Apache Spark": tlb-spark predict on local[1] and local[2]
# against tlb predict, tlb evaluate against tlb-spark evaluate, and the start-up on one image.
# Usage: [REPS=2] spark/bench/predict-bench.sh B   (B: a scratch folder; needs ../shared/datasets or $TLB_DATA)
set -u
cd "$(dirname "$0")/../.."
B=$1
data=${TLB_DATA:-../shared/datasets}
mkdir -p "$B"
[ -d "$B/run" ] || ./tlb train --data "$data" --epochs 1 --train-limit 2048 --val-limit 512 --batch-size 256 --out "$B/run"
[ -d "$B/images" ] || python3 spark/bench/cifar-pngs.py "$data/cifar-10-batches-bin" data_batch_5.bin "$B/images" 10000
# tlb evaluate reads the train/ + test/ layout: test/ is the 10,000 images, train/ names the classes
if [ ! -d "$B/eval" ]; then
  mkdir -p "$B/eval/train" && ln -s "$B/images" "$B/eval/test"
  for c in $(ls "$B/images"); do mkdir -p "$B/eval/train/$c"; cp $(ls -d "$B/images/$c"/* | head -2) "$B/eval/train/$c/"; done
fi
mkdir -p "$B/one/x" && cp "$(find "$B/images" -name '*.png' | sort | head -1)" "$B/one/x/"
t() { local s=$(date +%s.%N); "$@" > "$B/last.out" 2> "$B/last.err"; local rc=$?; echo "$(echo "$(date +%s.%N) - $s" | bc) s rc=$rc"; }
L() { echo "load $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%T)"; }
for rep in $(seq "${REPS:-2}"); do
  for m in 1 2; do
    L; rm -rf "$B/o"
    echo "spark predict local[$m] 10000: $(t ./tlb-spark predict --model "$B/run" --input "$B/images" --output "$B/o" --master "local[$m]") $(grep Wrote "$B/last.out")"
  done
done
L; echo "tlb evaluate 10000: $(t ./tlb evaluate --model "$B/run" --data "$B/eval" --split test --out "$B" --json) $(grep 'test split' "$B/last.out")"
L; echo "spark evaluate local[2] 10000: $(t ./tlb-spark evaluate --model "$B/run" --input "$B/images" --master 'local[2]' --json) $(head -1 "$B/last.out")"
L; echo "tlb predict 10000: $(t ./tlb predict --model "$B/run" --csv "$B/images")"
for rep in $(seq "${REPS:-2}"); do
  L; echo "tlb predict 1: $(t ./tlb predict --model "$B/run" "$B"/one/x/*.png)"
  L; rm -rf "$B/o"; echo "spark predict local[2] 1: $(t ./tlb-spark predict --model "$B/run" --input "$B/one" --output "$B/o" --master 'local[2]') $(grep Wrote "$B/last.out")"
done
L
