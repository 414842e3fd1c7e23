"""repair attack: FGM against a hand-written gradient-sign step, budgets, seeding, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from repair.core.data import SplitReader, read_split
from repair.core.model import load_model
from tests.conftest import run_ok


def _attack(model_dir: Path, data_dir: Path, out: Path, *options: str) -> dict:
    args = ["attack", "--model_dir", model_dir, "--data_dir", data_dir, "--output_dir", out]
    return json.loads(run_ok([*args, *options, "--json"]).stdout)


def hand_fgm(model, images: np.ndarray, labels: np.ndarray, eps: float) -> np.ndarray:
    """One step of eps along the sign of the input gradient of the cross-entropy of the
    logits (the last Dense layer without its softmax), clipped to [0, 1]: Goodfellow et al."""
    from repair.core.tf import tf

    x = tf.convert_to_tensor(images)
    kernel, bias = model.layers[-1].get_weights()
    one_hot = tf.one_hot(labels, kernel.shape[1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        hidden = x
        for layer in model.layers[:-1]:
            hidden = layer(hidden)
        logits = tf.matmul(hidden, kernel) + bias
        loss = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(one_hot, logits))
    gradient = tape.gradient(loss, x).numpy()
    return np.clip(images + eps * np.sign(gradient), 0.0, 1.0)


def test_fgm_is_one_gradient_sign_step_within_eps(digits_model_dir, digits_data_dir, tmp_path):
    report = _attack(digits_model_dir, digits_data_dir, tmp_path, "--eps", "0.05,0.2")
    clean = read_split(digits_data_dir / "test.h5")
    model = load_model(digits_model_dir)
    accuracies = []
    for entry, eps in zip(report["files"], (0.05, 0.2), strict=True):
        assert Path(entry["path"]).name == f"fgm_{eps:g}.h5"
        adversarial = read_split(entry["path"])
        delta = adversarial.images - clean.images
        assert np.abs(delta).max() <= eps + 1e-6
        np.testing.assert_array_equal(adversarial.labels, clean.labels)
        expected = hand_fgm(model, clean.images, clean.labels, eps)
        np.testing.assert_allclose(adversarial.images, expected, atol=1e-6)
        accuracies.append(entry["accuracy"])
        with SplitReader(entry["path"]) as reader:
            assert set(reader.info.extras) == {"attack", "eps", "source_model", "source_index"}
            assert set(reader.extra("attack")) == {"fgm"}
            assert set(reader.extra("eps")) == {eps}
            assert set(reader.extra("source_model")) == {
                str((digits_model_dir / "model.keras").resolve())
            }
            np.testing.assert_array_equal(reader.extra("source_index"), np.arange(len(reader)))
    assert accuracies[1] < accuracies[0]  # a larger budget fools the model more often


def test_l2_budget_and_targeted_attack(digits_model_dir, digits_data_dir, tmp_path):
    report = _attack(digits_model_dir, digits_data_dir, tmp_path, "--eps", "1", "--norm", "2")
    clean = read_split(digits_data_dir / "test.h5")
    adversarial = read_split(report["files"][0]["path"])
    norms = np.linalg.norm((adversarial.images - clean.images).reshape(len(clean), -1), axis=1)
    assert norms.max() <= 1 + 1e-5 and norms.mean() > 0.5
    assert Path(report["files"][0]["path"]).name == "fgm_l2_1.h5"

    report = _attack(digits_model_dir, digits_data_dir, tmp_path, "--eps", "0.3", "--targeted", "3")
    pushed = read_split(report["files"][0]["path"])
    model = load_model(digits_model_dir)
    before = np.mean(np.argmax(model.predict(clean.images, verbose=0), axis=1) == 3)
    after = np.mean(np.argmax(model.predict(pushed.images, verbose=0), axis=1) == 3)
    assert after > before + 0.2


def test_pgd_is_seeded_and_leaves_numpy_global_state_alone(
    digits_model_dir, digits_data_dir, tmp_path
):
    from repair.robustness.attack_files import run_attack
    from repair.robustness.attacks import AttackSpec

    spec = AttackSpec("pgd", 0.1, max_iter=2)
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    runs = {}
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        [result] = run_attack(
            model_dir=digits_model_dir,
            source=digits_data_dir / "test.h5",
            output_dir=tmp_path / name,
            specs=[spec],
            random_state=seed,
        )
        runs[name] = read_split(result.path).images
        assert result.max_linf <= 0.1 + 1e-6
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    np.testing.assert_array_equal(runs["a"], runs["b"])
    assert not np.array_equal(runs["a"], runs["c"])


def test_missing_extra_and_foreign_files_are_one_clear_error(
    digits_model_dir, digits_data_dir, tmp_path, cli, monkeypatch
):
    args = ["attack", "--model_dir", digits_model_dir, "--data_dir", digits_data_dir]
    result = cli([*args, "--output_dir", tmp_path, "--eps", "0"])
    assert result.exit_code == 2 and "--eps values must be positive" in result.stderr

    other = tmp_path / "other.keras"
    (other).write_bytes((digits_model_dir / "model.keras").read_bytes())
    run_ok([*args, "--output_dir", tmp_path, "--eps", "0.1"])
    result = cli(
        [
            "attack",
            "--model_dir",
            other,
            "--data_dir",
            digits_data_dir,
            "--output_dir",
            tmp_path,
            "--eps",
            "0.1",
        ]
    )
    assert result.exit_code == 1 and "holds examples made on" in result.stderr
    assert result.stderr.count("\n") == 1

    for name in ("art", "art.attacks.evasion", "art.estimators.classification"):
        monkeypatch.setitem(sys.modules, name, None)
    result = cli([*args, "--output_dir", tmp_path / "new", "--eps", "0.1"])
    assert result.exit_code == 1
    assert "pip install 'repair[adversarial]'" in result.stderr
    assert not (tmp_path / "new").exists()
