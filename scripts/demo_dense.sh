#!/usr/bin/env bash
# The detection and segmentation demos, beside the main job: installs and
# builds as demo.sh does, makes the three kits' data (Fashion-MNIST items
# pasted onto textured canvases, with boxes and masks; crater-like circles),
# checks them, and trains each kit's starting kit and its network on the
# built-in engine (a U-Net, a CenterNet) with `ramp test`, saving the bagged
# predictions (SUB/training_output/y_pred_test_bagged*). With PyTorch
# importable, the PyTorch submissions too. On 2 cores the engine's
# submissions take about 2 hours (docs/kits.md, "Figures"), the PyTorch
# ones as long again.
#   FIGS=DIR  where the runs' JSON files go (default: out/dense)
#   SUBS="starting_kit unet"  only these submissions (default: every one)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
figs=${FIGS:-out/dense}
mkdir -p "$figs"
[ -f kits/objects_detection/data/train.csv ] || build/ramp data objects --out kits/objects_detection --force
[ -f kits/objects_segmentation/data/seg_train.csv ] \
    || build/ramp data objects --out kits/objects_segmentation --segmentation --force
[ -f kits/circles/data/train.csv ] || build/ramp data circles --out kits/circles --force
torch=0
python3 -c "import torch" 2>/dev/null && torch=1
for kit in objects_segmentation objects_detection circles; do
    build/ramp data check "kits/$kit"
    for sub in kits/$kit/submissions/*/; do
        sub=$(basename "$sub")
        case $sub in torch_*) [ $torch = 1 ] || continue ;; esac
        if [ -n "${SUBS:-}" ]; then
            case " $SUBS " in *" $sub "*) ;; *) continue ;; esac
        fi
        build/ramp test --kit "kits/$kit" --submission "$sub" --save-output \
            --json "$figs/$kit.$sub.json"
    done
done
