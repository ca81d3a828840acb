"""``mlquiz bank new``: a commented starter bank that passes ``mlquiz verify`` as written."""

from __future__ import annotations

from pathlib import Path

from mlquiz.content.model import ID_PATTERN
from mlquiz.errors import MlquizError
from mlquiz.i18n import _

TEMPLATE = '''\
# A question bank for mlquiz. Check it with:  mlquiz verify {path}
# Practice with it:  mlquiz practice --bank {path}     Format: docs/bank-format.md
format_version: 1
id: {name}                  # unique among all banks; lowercase words joined by -
title: {title}
description: Replace this with what the bank covers and who it is for.
author: Your Name
license: CC-BY-4.0
questions:
  # Ids are progress keys: keep them stable, unique across all banks, and never reuse one.
  # Prefixing them with the bank id keeps them clear of other banks' ids.

  # choice: exactly one right option; `answer` copies its text.
  - id: {name}-choice
    topic: gradients
    tags: [exploding]
    difficulty: easy
    type: choice
    prompt: What most directly makes gradients explode in a deep network?
    options:
      - Per-layer Jacobians with norms above 1
      - A learning rate that is too small
      - Too few training examples
      - Weights initialised too close to zero
    answer: Per-layer Jacobians with norms above 1
    hint: Think of the chain rule as a product.
    explanation: >-
      Backpropagation multiplies one Jacobian per layer; when they stretch vectors the product
      grows exponentially with depth.

  # multi: select all that apply; `answer` lists every right option.
  - id: {name}-multi
    topic: gradients
    difficulty: medium
    type: multi
    prompt: Which of these help against exploding gradients?
    options: [Gradient clipping, Smaller initial weights, A larger learning rate]
    answer: [Gradient clipping, Smaller initial weights]
    explanation: Clipping bounds the update; smaller weights shrink each layer's factor.

  # truefalse
  - id: {name}-truefalse
    topic: gradients
    tags: [misconception]
    difficulty: easy
    type: truefalse
    prompt: Gradient clipping fixes vanishing gradients.
    answer: false
    explanation: Clipping only rescales gradients above a threshold; small ones pass unchanged.

  # numeric, with the number computed by a demo (run `mlquiz demo` to list them and
  # `mlquiz demo gradient-chain --json` to see its output keys).
  - id: {name}-numeric
    topic: gradients
    difficulty: easy
    type: numeric
    prompt: Each of 100 layers scales the gradient by 0.9. What fraction of it reaches the first layer?
    answer_from: {{demo: gradient-chain, params: {{factor: 0.9, layers: 100}}, key: product}}
    tolerance: {{rel: 0.01}}    # graded like math.isclose; counts default to exact
    explanation: The factors multiply, so 0.9**100 = {{answer}}.

  # parameterized: each row of `vary` is a variant; the prompt and the demo use the same names.
  - id: {name}-parameterized
    topic: gradients
    difficulty: medium
    type: numeric
    prompt: A gradient passes through {{layers}} layers that each scale it by {{factor}}. What is the overall factor?
    vary:
      - {{layers: 10, factor: 1.1}}
      - {{layers: 20, factor: 0.9}}
      - {{layers: 50, factor: 0.5}}
      - {{layers: 30, factor: 1.5}}
    answer_from: {{demo: gradient-chain, params: {{factor: "{{factor}}", layers: "{{layers}}"}}, key: product}}
    explanation: "{{factor}} multiplied {{layers}} times is {{answer}}."

  # text: short answer; case and spacing do not matter; `accept` lists other right answers.
  - id: {name}-text
    topic: gradients
    difficulty: easy
    type: text
    prompt: Which activation has derivative 1 for every positive input?
    answer: ReLU
    accept: [rectified linear unit]
    explanation: ReLU(x) = max(0, x) has slope 1 above zero and 0 below.

  # recall: a flashcard; the candidate reveals the answer and rates their memory.
  - id: {name}-recall
    topic: gradients
    difficulty: medium
    type: recall
    prompt: Why do residual connections help gradients reach early layers?
    answer: The skip adds an identity term to each layer's Jacobian (I + F'), so the gradient has a direct path back.
    explanation: Without the skip the backward pass multiplies F' across every layer and can vanish.
    demo: {{name: deep-mlp-gradients}}
'''


def new_bank(name: str, folder: Path) -> Path:
    if not ID_PATTERN.match(name) or len(name) > 40:
        raise MlquizError(_("bank name {name} must be lowercase words joined by '-', e.g. my-course").format(name=repr(name)))
    if not folder.is_dir():
        raise MlquizError(_("{folder}: no such folder; create it or choose another with --dir").format(folder=folder))
    path = folder / f"{name}.yaml"
    if path.exists():
        raise MlquizError(_("{path} already exists; choose another name or remove it first").format(path=path))
    title = name.replace("-", " ").capitalize()
    path.write_text(TEMPLATE.format(name=name, title=title, path=path), encoding="utf-8")
    return path
