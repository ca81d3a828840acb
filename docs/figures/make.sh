#!/usr/bin/env bash
# Regenerate the README's figures with the demos' own --plot (needs: pip install 'mlquiz[plot]').
# Run from anywhere: bash docs/figures/make.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mlquiz="${MLQUIZ:-mlquiz}"
$mlquiz demo lstm-gradients --plot "$here/lstm-gradients.png" > /dev/null
$mlquiz demo batchnorm --plot "$here/batchnorm.png" > /dev/null
echo "wrote $here/lstm-gradients.png and $here/batchnorm.png"
